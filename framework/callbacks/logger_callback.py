"""Drives a RunLogger from Keras's own loop, for the fit strategy."""

from __future__ import annotations

import keras
import tensorflow as tf

from framework.callbacks.run_logger import RunLogger


class LoggerCallback(keras.callbacks.Callback):
    """Calls the logger at the points the tape strategy calls it inside its graph.

    The writes run as compiled functions (traced once): eager summary ops
    would cost more than a whole training step of a small model. The batch
    hook is safe to run on Keras's callback threads (`async_safe`), so Keras
    keeps dispatching training steps without waiting for it.
    """

    async_safe = True

    def __init__(self, logger: RunLogger, epochs: int):
        super().__init__()
        self.logger = logger
        self.epochs = epochs
        self._log_step = tf.function(logger.log_step)
        self._log_epoch = tf.function(logger.log_epoch)
        self._first_step_of_epoch = 0

    def on_train_begin(self, logs=None):
        self.logger.open(self.model, self.epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self._first_step_of_epoch = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        # The step comes from the arguments, not from shared state: Keras may
        # run this on several threads at once, and the optimizer is ahead.
        step = self._first_step_of_epoch + batch + 1
        if self.logger.step_due(step):
            self._log_step(tf.constant(step, tf.int64), tf.constant(float(logs["loss"])))

    def on_epoch_end(self, epoch, logs=None):
        if self.logger.epoch_due(epoch):
            values = {name: tf.constant(float(value)) for name, value in (logs or {}).items()}
            self._log_epoch(self.model.optimizer.iterations, tf.constant(epoch, tf.int64), values)
            self.logger.flush()
