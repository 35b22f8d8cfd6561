"""Saves the run's checkpoint at due epochs and when training ends, under every strategy."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from framework.callbacks.early_stopping import ResumableEarlyStopping
from framework.callbacks.scheduled import EpochCallback
from framework.checkpoints.finite_weights import check_finite_weights
from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.loggers.run_records import RunRecords
from framework.schedules import Schedule

log = logging.getLogger("framework")


class CheckpointSaver(EpochCallback):
    """Writes a checkpoint at the end of every epoch `schedule` names, and at the
    end of training if the last epoch was not saved (early stop, a signal).

    It reads the live model at those epochs only, so the tape strategy ends a
    graph call there and nowhere else. A loss that stops being finite raises
    before the epoch ends, and the variables are checked before each save (the
    last update's loss is never computed), so no checkpoint holds a diverged model.

    Each checkpoint also keeps the epoch's logs, the state of `resumable`
    callbacks (by name) and the run's records, restored with it on resume.
    """

    def __init__(
        self,
        checkpoint: RunCheckpoint,
        schedule: Schedule,
        resumable: Mapping[str, ResumableEarlyStopping] | None = None,
        run_records: RunRecords | None = None,
    ):
        super().__init__()
        self.checkpoint = checkpoint
        # It counts the epochs done from the last epoch of every call, which it hears of anyway.
        self.acts_on = self.model_at_epoch_end = schedule
        self._resumable = dict(resumable or {})
        self._run_records = run_records
        self._epochs_done: int | None = None
        self._logs: dict[str, float] = {}

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_done = epoch + 1
        self._logs = {name: float(value) for name, value in (logs or {}).items()}
        if self.acts_at(epoch):
            self._save()

    def on_train_end(self, logs=None):
        if self._epochs_done is not None and self.checkpoint.saved_epoch != self._epochs_done:
            self._save()

    def save_inside_epoch(self, epochs_done: int, steps_done: int, progress: list[np.ndarray]) -> None:
        """Writes a checkpoint `steps_done` steps into the epoch after `epochs_done` epochs
        (checkpoint.every_n_steps), with the epoch's progress (framework.checkpoints.run_checkpoint)."""
        check_finite_weights(self.model, self.checkpoint.optimizer, epochs_done)
        path = self.checkpoint.save(epochs_done, self._state(), steps_done, progress)
        log.debug("Checkpoint at step %d of epoch %d (step %d): %s", steps_done, epochs_done, self.checkpoint.global_step, path)

    def _state(self) -> dict[str, Any]:
        return {
            "logs": self._logs,
            "callbacks": {name: callback.state() for name, callback in self._resumable.items()},
            "records": self._run_records.state() if self._run_records is not None else {},
        }

    def _save(self) -> None:
        check_finite_weights(self.model, self.checkpoint.optimizer, self._epochs_done)
        path = self.checkpoint.save(self._epochs_done, self._state())
        log.debug("Checkpoint after epoch %d (%d epochs done, step %d): %s", self._epochs_done - 1, self._epochs_done,
                  self.checkpoint.global_step, path)
