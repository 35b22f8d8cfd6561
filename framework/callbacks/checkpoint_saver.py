"""Saves the run's checkpoint at due epochs and when training ends, under every strategy."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from framework.callbacks.early_stopping import ResumableEarlyStopping
from framework.checkpoints.finite_weights import check_finite_weights
from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.strategies.live_model import EpochCallback

log = logging.getLogger("framework")


class CheckpointSaver(EpochCallback):
    """Writes a checkpoint at the end of every epoch that `next_due(epoch)` names, and at the
    end of training if the last epoch was not saved (early stop, a signal).

    It reads the live model at those epochs only, so the tape strategy ends a
    graph call there and nowhere else. A loss that stops being finite raises
    before the epoch ends, and the variables are checked before each save (the
    last update's loss is never computed), so no checkpoint holds a diverged model.

    Each checkpoint also keeps the epoch's logs and the state of `resumable`
    callbacks (by name), restored with it on resume.
    """

    replayed_every_epoch = False  # counts epochs done; saves only at live epochs

    def __init__(
        self,
        checkpoint: RunCheckpoint,
        next_due: Callable[[int], int],
        resumable: Mapping[str, ResumableEarlyStopping] | None = None,
    ):
        super().__init__()
        self.checkpoint = checkpoint
        self._next_due = next_due
        self._resumable = dict(resumable or {})
        self._epochs_done: int | None = None
        self._logs: dict[str, float] = {}

    def needs_live_model(self, epoch: int) -> bool:
        return self._next_due(epoch) == epoch

    def next_live_epoch(self, epoch: int, end: int) -> int:
        return min(self._next_due(epoch), end)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_done = epoch + 1
        self._logs = {name: float(value) for name, value in (logs or {}).items()}
        if self.needs_live_model(epoch):
            self._save()

    def on_train_end(self, logs=None):
        if self._epochs_done is not None and self.checkpoint.saved_epoch != self._epochs_done:
            self._save()

    def _save(self) -> None:
        check_finite_weights(self.model, self.checkpoint.optimizer, self._epochs_done)
        state: dict[str, Any] = {
            "logs": self._logs,
            "callbacks": {name: callback.state() for name, callback in self._resumable.items()},
        }
        path = self.checkpoint.save(self._epochs_done, state)
        log.debug("Checkpoint after epoch %d (%d epochs done, step %d): %s", self._epochs_done - 1, self._epochs_done,
                  self.checkpoint.global_step, path)
