"""Early stopping (the `early_stopping` config section): stop when a monitored value stops improving.

Keras's own EarlyStopping does the work. It reads the model's state every
epoch, so under the tape strategy an enabled early stop makes every epoch end
a graph call (both strategies then stop at the same epoch with the same
weights). Its patience counter starts afresh when a run is resumed.
"""

from __future__ import annotations

import logging

import keras

from framework.config.settings import EarlyStoppingSettings

log = logging.getLogger("framework")


class EarlyStop(keras.callbacks.EarlyStopping):
    """Keras's EarlyStopping, saying why it stopped in the numbering of the per-epoch lines
    (Keras's own message counts epochs from 1)."""

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self.stopped_epoch > 0:
            log.info(
                "Epoch %2d: early stop: %s has not improved for %d epoch%s, since epoch %d (%s=%.5f).",
                self.stopped_epoch, self.monitor, self.wait, "" if self.wait == 1 else "s",
                self.best_epoch, self.monitor, self.best,
            )


def early_stopping_callbacks(settings: EarlyStoppingSettings) -> list[keras.callbacks.Callback]:
    """The callback that `settings` asks for, or none when disabled."""
    if not settings.enabled:
        return []
    return [
        EarlyStop(monitor=settings.monitor, patience=settings.patience, min_delta=settings.min_delta, mode=settings.mode)
    ]
