"""Saves the run's checkpoint at due epochs and when training ends, under every strategy."""

from __future__ import annotations

import logging
from collections.abc import Callable

from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.strategies.live_model import EpochCallback

log = logging.getLogger("framework")


class CheckpointSaver(EpochCallback):
    """Writes a checkpoint at the end of every epoch `due(epoch)` accepts, and at the
    end of training if the last epoch was not saved (early stop, a signal).

    It reads the live model at those epochs only, so the tape strategy ends a
    graph call there and nowhere else. A loss that stops being finite raises
    before the epoch ends, so no checkpoint ever holds a diverged model.
    """

    replayed_every_epoch = False  # counts epochs done; saves only at live epochs

    def __init__(self, checkpoint: RunCheckpoint, due: Callable[[int], bool]):
        super().__init__()
        self.checkpoint = checkpoint
        self._due = due
        self._epochs_done: int | None = None

    def needs_live_model(self, epoch: int) -> bool:
        return self._due(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_done = epoch + 1
        if self._due(epoch):
            self._save()

    def on_train_end(self, logs=None):
        if self._epochs_done is not None and self.checkpoint.saved_epoch != self._epochs_done:
            self._save()

    def _save(self) -> None:
        path = self.checkpoint.save(self._epochs_done)
        log.debug("Checkpoint after epoch %d (step %d): %s", self._epochs_done, self.checkpoint.global_step, path)
