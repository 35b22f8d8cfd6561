"""Drives a RunLogger from Keras's own loop, for the fit strategy."""

from __future__ import annotations

import keras
import tensorflow as tf

from framework.callbacks.run_logger import RunLogger


class LoggerCallback(keras.callbacks.Callback):
    """Calls the logger at the points the tape strategy calls it inside its graph.

    The writes run as compiled functions (traced once): eager summary ops
    would cost more than a whole training step of a small model.
    """

    def __init__(self, logger: RunLogger, epochs: int):
        super().__init__()
        self.logger = logger
        self.epochs = epochs
        self._log_step = tf.function(logger.log_step)
        self._log_epoch = tf.function(logger.log_epoch)
        self._step = 0

    def on_train_begin(self, logs=None):
        self.logger.open(self.model, self.epochs)
        self._step = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1  # counted here: reading the optimizer's counter costs a device sync
        if self.logger.step_due(self._step):
            self._log_step(self.model.optimizer.iterations, tf.constant(float(logs["loss"])))

    def on_epoch_end(self, epoch, logs=None):
        if self.logger.epoch_due(epoch):
            values = {name: tf.constant(float(value)) for name, value in (logs or {}).items()}
            self._log_epoch(self.model.optimizer.iterations, tf.constant(epoch, tf.int64), values)
            self.logger.flush()
