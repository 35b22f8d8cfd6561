"""The tape strategy's one training step: GradientTape on every replica, Keras optimizer update.

It runs under the current tf.distribute strategy's `run`. Outside a
distribution that is TensorFlow's default strategy: one replica holding the
whole batch, and `run`/`reduce` add nothing to the graph. Under
distribution=mirrored or multi_worker the step means exactly what it means on
one device: every worker computes the same global batch (a batch is a pure
function of (seed, epoch, step)); each replica trains on its own contiguous
slice of it, its per-example losses summed and divided by the GLOBAL batch
size (tf.nn.compute_average_loss); the Keras optimizer,
created under the strategy, sums the gradients across replicas. The update is
therefore the single-device update of the whole batch, and the returned loss
its mean.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from framework.strategies.base import TrainingJob


class TrainStep:
    """`train(x, y)` and `loss(x, y)` on a global batch (x, y); both return the batch's mean loss."""

    def __init__(self, job: TrainingJob, jit_compile: bool):
        self.job = job
        self.strategy = tf.distribute.get_strategy()
        self.replicas = self.strategy.num_replicas_in_sync
        self._replica_train = self._replica_step
        if jit_compile:
            # XLA compiles the step alone: summary writes in the loop around it
            # have no XLA kernel. (Under a distribution it is refused up front,
            # framework.config.plan: XLA cannot compile the cross-replica update.)
            self._replica_train = tf.function(self._replica_step, jit_compile=True)
        elif tf.distribute.has_strategy():
            self._replica_train = tf.function(self._replica_step)

    def train(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """One optimizer step on the batch; returns its loss."""
        return self._sum_over_replicas(self._replica_train, x, y)

    def loss(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """The batch's loss without training (validation)."""
        return self._sum_over_replicas(functools.partial(self._replica_loss, training=False), x, y)

    def _sum_over_replicas(self, replica_fn, x, y):
        losses = self.strategy.run(replica_fn, args=(x, y))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    def _replica_step(self, x, y):
        model, optimizer = self.job.model, self.job.optimizer
        with tf.GradientTape() as tape:
            loss = self._replica_loss(x, y, training=True)
            scaled_loss = optimizer.scale_loss(loss)  # mixed precision; identity otherwise
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    def _replica_loss(self, x, y, training: bool):
        """This replica's share of the batch loss: the mean Keras's fit reports for the whole
        batch, split so that the replicas' shares add up to it."""
        model = self.job.model
        if self.replicas == 1:  # the whole batch: Keras's own loss call, masks and all (decided when tracing)
            loss = self.job.loss(y, model(x, training=training))
            return tf.cast(loss + tf.add_n(model.losses) if model.losses else loss, tf.float32)
        global_batch_size = tf.shape(x)[0]
        x, y = _replica_slice(x), _replica_slice(y)
        # Loss.call gives per-example values; Loss.__call__ would average them
        # over this replica's slice and divide by the replica count.
        per_example = tf.cast(self.job.loss.call(y, model(x, training=training)), tf.float32)
        if per_example.shape.rank > 1:  # e.g. one loss per time step: the example's mean, as Keras averages every element
            per_example = tf.reduce_mean(per_example, axis=list(range(1, per_example.shape.rank)))
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        if model.losses:
            loss += tf.nn.scale_regularization_loss(tf.cast(tf.add_n(model.losses), tf.float32))
        return loss


def _replica_slice(batch: tf.Tensor) -> tf.Tensor:
    """This replica's contiguous part of the global batch (sizes differ by at most one)."""
    context = tf.distribute.get_replica_context()
    size = tf.shape(batch, out_type=tf.int64)[0]
    replicas = tf.constant(context.num_replicas_in_sync, tf.int64)
    replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
    return batch[replica * size // replicas : (replica + 1) * size // replicas]
