"""Early stopping (the `early_stopping` config section): stop when a monitored value stops improving.

Keras's own EarlyStopping does the work. It reads the model's state every
epoch, so under the tape strategy an enabled early stop makes every epoch end
a graph call (both strategies then stop at the same epoch with the same
weights). Its patience counter and best value are saved with each checkpoint
and restored on resume, so a resumed run stops where the uninterrupted one would.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import keras

from framework.callbacks.epoch_report import readable
from framework.config.settings import EarlyStoppingSettings

log = logging.getLogger("framework")


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's EarlyStopping with its progress kept across a resume, saying on the console why it stopped."""

    def __init__(self, settings: EarlyStoppingSettings):
        # verbose=0: the framework's own message below says more than Keras's "early stopping".
        super().__init__(
            monitor=settings.monitor, patience=settings.patience, min_delta=settings.min_delta, mode=settings.mode, verbose=0
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

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self.stopped_epoch > 0:
            # In the numbering of the per-epoch lines (Keras's own message counts from 1).
            log.info(
                "Epoch %2d: early stop: %s has not improved by more than %g for %d epoch%s, since epoch %d (%s=%s; "
                "early_stopping.patience=%d).",
                self.stopped_epoch, self.monitor, abs(self.min_delta), self.wait, "" if self.wait == 1 else "s",
                self.best_epoch, self.monitor, readable(self.best), self.patience,
            )


def early_stopping_callback(settings: EarlyStoppingSettings) -> ResumableEarlyStopping | None:
    """The callback that `settings` asks for, or None when disabled."""
    return ResumableEarlyStopping(settings) if settings.enabled else None
