"""Keras's progress bar (verbose=1) for the epochs the console shows."""

from __future__ import annotations

import keras
from keras.src.utils import io_utils  # what Keras prints its progress bar with

from framework.callbacks.epoch_report import shown_on_console


class ProgressBar(keras.callbacks.ProgbarLogger):
    """Keras's own progress bar, drawn for the epochs `shown_on_console` only: a
    run of 20,000 short epochs prints about 100 bars, not 20,000 (which cost
    more than the epochs themselves). Keras's fit and the tape strategy both
    use it in place of the bar they would add. Each bar is headed `Epoch  0
    (1 of 10)`: epochs count from 0, as in the tutorial's lines (verbose=2),
    checkpoints, signals and resume, where Keras's own heading counts from 1."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs
        self._showing = False

    def on_epoch_begin(self, epoch, logs=None):
        self._showing = shown_on_console(epoch, self.epochs)
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
