"""The best model (`checkpoint.best`): model_best.keras, kept beside the last model.

Keras's ModelCheckpoint does the work: at the end of every epoch where the
monitored value improves it saves the whole model. It reads the live model,
so under the tape strategy every epoch ends a graph call while it is on, and
both strategies save at the same epoch with the same weights. Like early
stopping, it starts afresh when a run is resumed.
"""

from __future__ import annotations

from pathlib import Path

import keras

from framework.config.settings import BestModelSettings


def best_model_callbacks(settings: BestModelSettings, path: Path) -> list[keras.callbacks.Callback]:
    """The callback that keeps the best model at `path`, or none when `settings.monitor` is None."""
    if settings.monitor is None:
        return []
    return [keras.callbacks.ModelCheckpoint(str(path), monitor=settings.monitor, mode=settings.mode, save_best_only=True)]
