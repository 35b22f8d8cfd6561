"""One training step of the tape strategy over every replica of a tf.distribute strategy.

It means exactly what the single-device step means. Every worker computes the
same global batch (a batch is a pure function of (seed, epoch, step)); each
replica trains on its own contiguous slice of it; a replica's loss is its
per-example losses summed and divided by the GLOBAL batch size
(tf.nn.compute_average_loss); the Keras optimizer, created under the
strategy, sums the gradients across replicas. The update is therefore the
single-device update of the whole batch, and the returned loss its mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tensorflow as tf

if TYPE_CHECKING:  # framework.strategies imports this module
    from framework.strategies.job import TrainingJob


class ReplicatedTrainStep:
    """`step(x, y) -> loss` over the global batch (x, y), run on every replica."""

    def __init__(self, job: TrainingJob, strategy: tf.distribute.Strategy, jit_compile: bool):
        self.job = job
        self.strategy = strategy
        self._replica_step = tf.function(self._replica_step, jit_compile=jit_compile)

    def __call__(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        losses = self.strategy.run(self._replica_step, args=(x, y))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    def _replica_step(self, x, y):
        model, optimizer = self.job.model, self.job.optimizer
        global_batch_size = tf.shape(x)[0]
        x, y = _replica_slice(x), _replica_slice(y)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            per_example = self.job.loss.call(y, y_pred)  # Loss.call: per-example values, unreduced
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled_loss = optimizer.scale_loss(loss)  # mixed precision; identity otherwise
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss


def _replica_slice(batch: tf.Tensor) -> tf.Tensor:
    """This replica's contiguous part of the global batch (sizes differ by at most one)."""
    context = tf.distribute.get_replica_context()
    size = tf.shape(batch, out_type=tf.int64)[0]
    replicas = tf.constant(context.num_replicas_in_sync, tf.int64)
    replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
    return batch[replica * size // replicas : (replica + 1) * size // replicas]
