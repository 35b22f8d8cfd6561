"""Keras's progress bar (verbose=1) for the epochs the console shows."""

from __future__ import annotations

import keras

from framework.callbacks.epoch_report import shown_on_console


class ProgressBar(keras.callbacks.ProgbarLogger):
    """Keras's own progress bar, drawn for the epochs `shown_on_console` only: a
    run of 20,000 short epochs prints about 100 bars, not 20,000 (which cost
    more than the epochs themselves). Keras's fit and the tape strategy both
    use it in place of the bar they would add."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs
        self._showing = False

    def on_epoch_begin(self, epoch, logs=None):
        self._showing = shown_on_console(epoch, self.epochs)
        if self._showing:
            super().on_epoch_begin(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self._showing:
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._showing:
            super().on_epoch_end(epoch, logs)
