"""Keras's progress bar (verbose=1) for the epochs the console shows."""

from __future__ import annotations

import keras
from keras.src.utils import io_utils  # what Keras prints its progress bar with

from framework.callbacks.epoch_report import console_epochs
from framework.callbacks.scheduled import EpochCallback
from framework.schedules import NEVER


class ProgressBar(EpochCallback, keras.callbacks.ProgbarLogger):
    """Keras's own progress bar, drawn for the console's epochs only: a run of
    20,000 short epochs prints about 100 bars, not 20,000 (which cost more than
    the epochs themselves). Keras's fit and the tape strategy both use it in
    place of the bar they would add. Each bar is headed `Epoch  0 (1 of 10)`:
    epochs count from 0, as in the tutorial's lines (verbose=2), checkpoints,
    signals and resume, where Keras's own heading counts from 1."""

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
        if not self._showing:
            return
        if self.verbose:
            io_utils.print_msg(f"Epoch {epoch:2d} ({epoch + 1} of {self.epochs})")
        epochs, self.epochs = self.epochs, 1  # Keras heads a bar with its own line only for runs of several epochs
        try:
            super().on_epoch_begin(epoch, logs)
        finally:
            self.epochs = epochs

    def on_train_batch_end(self, batch, logs=None):
        if self._showing:
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._showing:
            super().on_epoch_end(epoch, logs)
