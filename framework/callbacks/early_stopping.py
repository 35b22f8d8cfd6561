"""Early stopping (the `early_stopping` config section): stop when a monitored value stops improving.

Keras's own EarlyStopping does the work. It reads the model's state every
epoch, so under the tape strategy an enabled early stop makes every epoch end
a graph call (both strategies then stop at the same epoch with the same
weights). Its patience counter starts afresh when a run is resumed.
"""

from __future__ import annotations

import keras

from framework.config.settings import EarlyStoppingSettings


def early_stopping_callbacks(settings: EarlyStoppingSettings) -> list[keras.callbacks.Callback]:
    """The callback that `settings` asks for, or none when disabled."""
    if not settings.enabled:
        return []
    return [
        keras.callbacks.EarlyStopping(
            monitor=settings.monitor, patience=settings.patience, min_delta=settings.min_delta, mode=settings.mode, verbose=1
        )
    ]
