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

Both calls also return the model's outputs on the batch (training=True
outputs for a training step, as Keras's fit computes its metrics from), so
the loop updates the run's Keras metrics without a second forward pass. With
several replicas each holds only its slice, so there are none (the plan
refuses metrics with this step under a distribution).
"""

from __future__ import annotations

import functools

import tensorflow as tf

from framework.backends.job import TrainingJob


class TrainStep:
    """`train(x, y)` and `evaluate(x, y)` on a global batch (x, y); both return the
    batch's mean loss and the model's outputs (None with several replicas)."""

    def __init__(self, job: TrainingJob, jit_compile: bool):
        self.job = job
        self.strategy = tf.distribute.get_strategy()
        self.replicas = self.strategy.num_replicas_in_sync
        self._replica_train = self._replica_step
        if jit_compile:
            # XLA compiles the step alone: summary writes in the loop around it
            # have no XLA kernel. (Under a distribution it is refused up front,
            # framework.config.plan: XLA cannot compile the cross-replica update.)
            self._replica_train = tf.function(functools.partial(TrainStep._replica_step, self), jit_compile=True, autograph=False)
        elif tf.distribute.has_strategy():
            self._replica_train = tf.function(functools.partial(TrainStep._replica_step, self), autograph=False)

    def train(self, x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None]:
        """One optimizer step on the batch; returns its loss and the outputs it was computed from."""
        return self._sum_over_replicas(self._replica_train, x, y)

    def evaluate(self, x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None]:
        """The batch's loss and outputs without training (validation)."""
        return self._sum_over_replicas(functools.partial(self._replica_loss, training=False), x, y)

    def _sum_over_replicas(self, replica_fn, x, y):
        losses, outputs = self.strategy.run(replica_fn, args=(x, y))
        loss = self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)
        return loss, outputs if self.replicas == 1 else None

    def _replica_step(self, x, y):
        model, optimizer = self.job.model, self.job.optimizer
        with tf.GradientTape() as tape:
            loss, outputs = self._replica_loss(x, y, training=True)
            scaled_loss = optimizer.scale_loss(loss)  # mixed precision; identity otherwise
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, outputs

    def _replica_loss(self, x, y, training: bool):
        """This replica's share of the batch loss (the mean Keras's fit reports for the whole
        batch, split so that the replicas' shares add up to it) and its outputs."""
        model = self.job.model
        if self.replicas == 1:  # the whole batch: Keras's own loss call, masks and all (decided when tracing)
            outputs = model(x, training=training)
            loss = self.job.loss(y, outputs)
            return tf.cast(loss + tf.add_n(model.losses) if model.losses else loss, tf.float32), outputs
        global_batch_size = tf.shape(x)[0]
        x, y = _replica_slice(x), _replica_slice(y)
        outputs = model(x, training=training)
        # Loss.call gives per-example values; Loss.__call__ would average them
        # over this replica's slice and divide by the replica count.
        per_example = tf.cast(self.job.loss.call(y, outputs), tf.float32)
        if per_example.shape.rank > 1:  # e.g. one loss per time step: the example's mean, as Keras averages every element
            per_example = tf.reduce_mean(per_example, axis=list(range(1, per_example.shape.rank)))
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        if model.losses:
            loss += tf.nn.scale_regularization_loss(tf.cast(tf.add_n(model.losses), tf.float32))
        return loss, outputs


def _replica_slice(batch: tf.Tensor) -> tf.Tensor:
    """This replica's contiguous part of the global batch (sizes differ by at most one)."""
    context = tf.distribute.get_replica_context()
    size = tf.shape(batch, out_type=tf.int64)[0]
    replicas = tf.constant(context.num_replicas_in_sync, tf.int64)
    replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
    return batch[replica * size // replicas : (replica + 1) * size // replicas]
