"""Many epochs in one graph call: the tape strategy's training loop.

One tf.function runs `num_epochs` epochs of `steps_per_epoch` GradientTape
steps, computes each epoch's loss (and validation loss) and calls the run's
logger at the same points the fit strategy does, all without returning to
Python. Its arguments are tensors, so it is traced once per run whatever the
number of epochs per call.
"""

from __future__ import annotations

import tensorflow as tf

from framework.distribution.replicated_step import ReplicatedStep
from framework.strategies.job import TrainingJob


class CompiledEpochs:
    """`run(first_epoch, num_epochs) -> (per-epoch logs, finite)` for one job.

    The logs hold one value per epoch run; `finite` is False when a loss
    stopped being finite, in which case the last epoch in the logs is the one
    it happened in and training stopped right after that step.
    """

    def __init__(self, job: TrainingJob, jit_compile: bool):
        self.job = job
        self.calls = 0
        # XLA compiles the step alone: summary writes in the loop around it
        # have no XLA kernel.
        if tf.distribute.has_strategy():  # run() trains inside the scope of distribution=mirrored/multi_worker
            replicated = ReplicatedStep(job, tf.distribute.get_strategy(), jit_compile)
            self._train_step, self._batch_loss = replicated.train, replicated.loss
        else:
            self._train_step = tf.function(self._train_step, jit_compile=jit_compile)
        self._function = tf.function(self._run_epochs)

    @property
    def tracing_count(self) -> int:
        return self._function.experimental_get_tracing_count()

    def run(self, first_epoch: int, num_epochs: int) -> tuple[dict[str, list[float]], bool]:
        self.calls += 1
        logs, finite = self._function(tf.constant(first_epoch, tf.int64), tf.constant(num_epochs, tf.int64))
        return {name: values.numpy().tolist() for name, values in logs.items()}, bool(finite)

    def _train_step(self, x, y):
        model, optimizer = self.job.model, self.job.optimizer
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = self.job.loss(y, y_pred) + sum(model.losses)
            scaled_loss = optimizer.scale_loss(loss)  # mixed precision; identity otherwise
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    def _batch_loss(self, x, y):
        model = self.job.model
        return self.job.loss(y, model(x, training=False)) + sum(model.losses)

    def _validation_loss(self):
        # As Keras's evaluate: the mean of batch losses weighted by batch size.
        data = self.job.data
        total, count = tf.constant(0.0), tf.constant(0.0)
        for step in tf.range(data.validation_steps):
            x, y = data.validation_batch(step)
            loss = self._batch_loss(x, y)
            size = tf.cast(tf.shape(x)[0], tf.float32)
            total += tf.cast(loss, tf.float32) * size
            count += size
        return total / count

    def _run_epochs(self, first_epoch, num_epochs):
        data, logger, iterations = self.job.data, self.job.logger, self.job.optimizer.iterations
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        val_losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        finite = tf.constant(True)
        for index in tf.range(num_epochs):
            epoch = first_epoch + index
            order = data.epoch_order(epoch)
            # The running epoch loss, as Keras tracks it: batch losses weighted by batch size.
            total, count = tf.constant(0.0), tf.constant(0.0)
            for step in tf.range(data.steps_per_epoch):
                x, y = data.train_batch(order, step)
                loss = tf.cast(self._train_step(x, y), tf.float32)
                size = tf.cast(tf.shape(x)[0], tf.float32)
                total += loss * size
                count += size
                if logger.step_due(iterations):
                    logger.log_step(iterations, total / count)
                if not tf.math.is_finite(loss):
                    finite = tf.constant(False)
                    break
            epoch_loss = total / count
            losses = losses.write(tf.cast(index, tf.int32), epoch_loss)
            if not finite:
                break
            logs = {"loss": epoch_loss}
            if data.validation_steps:
                logs["val_loss"] = self._validation_loss()
                val_losses = val_losses.write(tf.cast(index, tf.int32), logs["val_loss"])
            if logger.epoch_due(epoch):
                logger.log_epoch(iterations, epoch, logs)
        stacked = {"loss": losses.stack()}
        if data.validation_steps:
            stacked["val_loss"] = val_losses.stack()
        return stacked, finite
