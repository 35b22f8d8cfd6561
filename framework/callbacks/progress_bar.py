"""Keras's progress bar (verbose=1) for the epochs the console shows."""

from __future__ import annotations

import keras

from framework.callbacks.epoch_report import console_epochs
from framework.callbacks.scheduled import EpochCallback
from framework.schedules import NEVER


class ProgressBar(EpochCallback, keras.callbacks.ProgbarLogger):
    """Keras's own progress bar, drawn for the console's epochs only: a run of
    20,000 short epochs prints about 100 bars, not 20,000 (which cost more than
    the epochs themselves). Keras's fit and the tape strategy both use it in
    place of the bar they would add."""

    model_at_epoch_end = NEVER

    def __init__(self, epochs: int):
        super().__init__()
        self.acts_on = console_epochs(epochs)
        self._showing = False

    def set_params(self, params):
        keras.callbacks.Callback.set_params(self, params)  # ProgbarLogger keeps only its own copies
        super().set_params(params)

    def on_epoch_begin(self, epoch, logs=None):
        self._showing = self.acts_at(epoch)
        if self._showing:
            super().on_epoch_begin(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self._showing:
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._showing:
            super().on_epoch_end(epoch, logs)
