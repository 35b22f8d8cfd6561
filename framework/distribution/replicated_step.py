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

from framework.errors import ConfigError

if TYPE_CHECKING:  # framework.strategies imports this module
    from framework.strategies.job import TrainingJob


class ReplicatedStep:
    """`train(x, y)` and `loss(x, y)` over the global batch (x, y), run on every replica.

    Both return the mean loss of the whole batch, as on one device.
    """

    def __init__(self, job: TrainingJob, strategy: tf.distribute.Strategy, jit_compile: bool):
        if jit_compile:
            # XLA cannot compile the optimizer's cross-replica update (a merge_call).
            raise ConfigError(
                "strategy.jit_compile=true: the tape strategy cannot compile its step with XLA "
                "under a tf.distribute strategy (distribution=mirrored or multi_worker). "
                "Set strategy.jit_compile=false, or use distribution=none."
            )
        self.job = job
        self.strategy = strategy
        self._replica_train = tf.function(self._replica_train)

    def train(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """One optimizer step on the batch; returns its loss."""
        return self._sum_over_replicas(self._replica_train, x, y)

    def loss(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """The batch's loss without training (validation)."""
        return self._sum_over_replicas(lambda x, y: self._replica_loss(x, y, training=False), x, y)

    def _sum_over_replicas(self, replica_fn, x, y):
        losses = self.strategy.run(replica_fn, args=(x, y))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    def _replica_train(self, x, y):
        model, optimizer = self.job.model, self.job.optimizer
        with tf.GradientTape() as tape:
            loss = self._replica_loss(x, y, training=True)
            scaled_loss = optimizer.scale_loss(loss)  # mixed precision; identity otherwise
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    def _replica_loss(self, x, y, training: bool):
        """This replica's share of the batch loss: its examples' losses over the GLOBAL batch size."""
        model = self.job.model
        global_batch_size = tf.shape(x)[0]
        x, y = _replica_slice(x), _replica_slice(y)
        # Loss.call gives per-example values; Loss.__call__ would average them
        # over this replica's slice and divide by the replica count.
        per_example = self.job.loss.call(y, model(x, training=training))
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        if model.losses:
            loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        return loss


def _replica_slice(batch: tf.Tensor) -> tf.Tensor:
    """This replica's contiguous part of the global batch (sizes differ by at most one)."""
    context = tf.distribute.get_replica_context()
    size = tf.shape(batch, out_type=tf.int64)[0]
    replicas = tf.constant(context.num_replicas_in_sync, tf.int64)
    replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
    return batch[replica * size // replicas : (replica + 1) * size // replicas]
