"""Early stopping (the `early_stopping` config section): stop when a monitored value stops improving.

Keras's own EarlyStopping does the work. It reads the model's state every
epoch, so under the tape strategy an enabled early stop makes every epoch end
a graph call (both strategies then stop at the same epoch with the same
weights). Its patience counter and best value are saved with each checkpoint
and restored on resume, so a resumed run stops where the uninterrupted one would.

With `restore_best_weights` the best epoch's weights are kept in memory, as
Keras keeps them, and put back when training ends by `BestWeightsRestorer`,
which runs after the checkpoint saver: the last checkpoint holds the last
epoch's weights (a resume continues training exactly), the saved model and
the test split the best epoch's.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import keras

from framework.callbacks.epoch_report import readable
from framework.callbacks.scheduled import EpochCallback
from framework.config.settings import EarlyStoppingSettings
from framework.schedules import NEVER

log = logging.getLogger("framework")

# best_weights of a resumed run whose best epoch came before its checkpoint: those weights
# are not in the checkpoint. (Keras takes the current weights as the best where best_weights is None.)
_NOT_KEPT: list = []


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's EarlyStopping with its progress kept across a resume, saying on the console why it stopped."""

    def __init__(self, settings: EarlyStoppingSettings):
        # verbose=0: the framework's own message below says more than Keras's "early stopping".
        super().__init__(
            monitor=settings.monitor, patience=settings.patience, min_delta=settings.min_delta, mode=settings.mode,
            verbose=0, restore_best_weights=settings.restore_best_weights,
        )
        self._restored: dict[str, Any] = {}

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps: epochs without improvement, the best value and its epoch."""
        best = None if self.best is None or not math.isfinite(float(self.best)) else float(self.best)
        return {"wait": int(self.wait), "best": best, "best_epoch": int(self.best_epoch)}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Continues from `state()` of a checkpoint (applied when training begins)."""
        self._restored = dict(state)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._restored:
            self.wait, self.best, self.best_epoch = self._restored["wait"], self._restored["best"], self._restored["best_epoch"]
            if self.restore_best_weights and self.best is not None:
                self.best_weights = _NOT_KEPT

    def on_train_end(self, logs=None):
        restore, self.restore_best_weights = self.restore_best_weights, False  # BestWeightsRestorer does it, later
        try:
            super().on_train_end(logs)
        finally:
            self.restore_best_weights = restore
        if self.stopped_epoch > 0:
            # In the numbering of the per-epoch lines (Keras's own message counts from 1).
            log.info(
                "Epoch %2d: early stop: %s has not improved by more than %g for %d epoch%s, since epoch %d (%s=%s; "
                "early_stopping.patience=%d).",
                self.stopped_epoch, self.monitor, abs(self.min_delta), self.wait, "" if self.wait == 1 else "s",
                self.best_epoch, self.monitor, readable(self.best), self.patience,
            )

    def restore_best(self) -> None:
        """Puts the best epoch's weights back into the model (with restore_best_weights)."""
        if not self.restore_best_weights or self.best_weights is None:
            return
        if self.best_weights is _NOT_KEPT:
            log.warning(
                "early_stopping.restore_best_weights: the best epoch (%d, %s=%.5f) came before the run was resumed, "
                "and checkpoints do not keep its weights; the run ends with its last weights.",
                self.best_epoch, self.monitor, self.best,
            )
            return
        self.model.set_weights(self.best_weights)
        log.info("Restored the weights of epoch %d, where %s was best (%.5f).", self.best_epoch, self.monitor, self.best)


class BestWeightsRestorer(EpochCallback):
    """Ends training with the best epoch's weights: `early_stopping.restore_best_weights`.

    Listed after the checkpoint saver, so the last checkpoint keeps the last epoch's weights.
    """

    acts_on = model_at_epoch_end = NEVER  # acts once, when training ends

    def __init__(self, early_stopping: ResumableEarlyStopping):
        super().__init__()
        self.early_stopping = early_stopping

    def on_train_end(self, logs=None):
        self.early_stopping.restore_best()


def early_stopping_callback(settings: EarlyStoppingSettings) -> ResumableEarlyStopping | None:
    """The callback that `settings` asks for, or None when disabled."""
    return ResumableEarlyStopping(settings) if settings.enabled else None


def best_weights_callbacks(early_stopping: ResumableEarlyStopping | None) -> list[BestWeightsRestorer]:
    """The callback restoring the best weights at the end, where early stopping is asked to."""
    return [BestWeightsRestorer(early_stopping)] if early_stopping is not None and early_stopping.restore_best_weights else []
