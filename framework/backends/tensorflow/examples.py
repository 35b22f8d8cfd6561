"""A data source's batches as TensorFlow tensors, inside compiled code and in tf.data.

Held examples become constants and batches are gathered from them inside
the graph; generated examples are fetched from the data source by
`tf.numpy_function`, one call per batch. Streamed examples are fetched a
whole block per call (its rows of a part, in the epoch's order) into a
tf.data pipeline that cuts them into batches (`rebatch`: the batches of the
blocks' rows, one block after another) and prefetches them, so a compiled
loop reads batches from an iterator at the cost of a held batch. Either way a
batch is the data source's batch at (epoch, step): the epoch's order is the
source's NumPy order, handed in as a tensor.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from framework.data.source import DataSource


class TensorFlowExamples:
    """`train_batch(order, step)`, `validation_batch(step)`, `test_batch(step)` as tensors for `data`."""

    def __init__(self, data: DataSource):
        self.data = data
        held = data.held
        self._streamed = data.streamed
        self._parts = None if held is None else {
            part: (tf.constant(x), tf.constant(y)) for part, (x, y) in held.parts.items()
        }
        self._x_spec = [None, *data.input_shape]
        self._y_spec = [None, *data.target_shape]
        sample_x, sample_y = data.sample(1)
        self._dtypes = (tf.as_dtype(sample_x.dtype), tf.as_dtype(sample_y.dtype))

    def orders(self, first_epoch: int, num_epochs: int) -> tf.Tensor:
        """The orders of `num_epochs` epochs from `first_epoch`, int64 [num_epochs, units];
        [num_epochs, 0] when the source does not shuffle."""
        if not self.data.shuffle:
            return tf.zeros([num_epochs, 0], tf.int64)
        return tf.constant(np.stack([self.data.epoch_order(first_epoch + index) for index in range(num_epochs)]))

    def order(self, epoch: tf.Tensor) -> tf.Tensor | None:
        """Epoch `epoch`'s order inside a tf.data pipeline (one NumPy call per epoch); None when not shuffling."""
        if not self.data.shuffle:
            return None
        order = tf.numpy_function(lambda value: self.data.epoch_order(int(value)), [epoch], tf.int64, stateful=False)
        order.set_shape([self.data.storage.num_units])
        return order

    def train_batch(self, order: tf.Tensor | None, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Batch `step` of an epoch ordered by `order` (None, or an empty order: unshuffled)."""
        if not self.data.shuffle:  # the orders handed in are empty
            order = None
        if self._parts is None:
            if order is None:
                return self._fetched(lambda step: self.data.storage.train_batch(None, int(step)), [step])
            return self._fetched(lambda order, step: self.data.storage.train_batch(order, int(step)), [order, step])
        x, y = self._parts["train"]
        if self.data.steps_per_epoch == 1:  # the whole set: no slicing, and shapes stay static
            return (x, y) if order is None else (tf.gather(x, order), tf.gather(y, order))
        start = tf.cast(step, tf.int64) * self.data.batch_size
        if order is None:
            return x[start : start + self.data.batch_size], y[start : start + self.data.batch_size]
        indices = order[start : start + self.data.batch_size]
        return tf.gather(x, indices), tf.gather(y, indices)

    def epoch_batches(self, orders: tf.Tensor, by_step: bool = False):
        """`batch(index, step)`: batch `step` of the epoch ordered by `orders[index]`, for one
        traced call that asks for its epochs' steps in order (a streamed source's batches come
        from one iterator over the call's epochs, created in that call, unless `by_step`: each
        fetched by its step, for calls that begin or end inside an epoch)."""
        if self._streamed is None or by_step:
            return lambda index, step: self.train_batch(orders[index], step)
        iterator = iter(self.streamed_training(tf.data.Dataset.from_tensor_slices(orders)))
        return lambda index, step: iterator.get_next()

    def validation_batches(self, num_epochs: tf.Tensor, by_step: bool = False):
        """`batch(step)`: validation batch `step`, for one traced call that runs `num_epochs`
        validation passes, each asking for its steps in order (or, `by_step`, some of them)."""
        if self._streamed is None or by_step:
            return self.validation_batch
        passes = tf.data.Dataset.range(num_epochs).flat_map(lambda _: self.streamed_held_out("validation"))
        iterator = iter(passes)
        return lambda step: iterator.get_next()

    def streamed_training(self, orders: tf.data.Dataset) -> tf.data.Dataset:
        """The training batches of the epochs whose orders `orders` yields (empty orders: unshuffled)."""
        storage = self._streamed

        def block(order, position):
            return storage.train_block(order if len(order) else None, int(position))

        def epoch(order):
            return self._rebatched(block, order)

        return orders.flat_map(epoch).prefetch(tf.data.AUTOTUNE)

    def streamed_held_out(self, part: str) -> tf.data.Dataset:
        """The "validation" or "test" batches of a streamed source, in order (their count
        declared, as Keras's evaluate asks for a pipeline's length)."""
        storage = self._streamed

        def block(position):
            return storage.held_out_block(part, int(position))

        batches = self._rebatched(block).apply(tf.data.experimental.assert_cardinality(self.data.steps(part)))
        return batches.prefetch(tf.data.AUTOTUNE)

    def _rebatched(self, block, *inputs: tf.Tensor) -> tf.data.Dataset:
        """Every block `block(*inputs, position)` in order, its rows cut into batches across block boundaries."""

        def fetched(position):
            return self._shaped(tf.numpy_function(_copied(block), [*inputs, position], self._dtypes, stateful=False))

        return tf.data.Dataset.range(self._streamed.num_blocks).map(fetched).rebatch(self.data.batch_size)

    def _shaped(self, batch) -> tuple[tf.Tensor, tf.Tensor]:
        x, y = batch
        x.set_shape(self._x_spec)
        y.set_shape(self._y_spec)
        return x, y

    def validation_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self._held_out_batch("validation", step)

    def test_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self._held_out_batch("test", step)

    def _held_out_batch(self, part: str, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        if self._parts is None:
            return self._fetched(lambda step: self.data.storage.held_out_batch(part, int(step)), [step])
        x, y = self._parts[part]
        start = tf.cast(step, tf.int64) * self.data.batch_size
        return x[start : start + self.data.batch_size], y[start : start + self.data.batch_size]

    def _fetched(self, fetch, inputs: list[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        return self._shaped(tf.numpy_function(_copied(fetch), inputs, self._dtypes, stateful=False))


def _copied(fetch):
    """`fetch` returning copies. A streamed source hands out views of the decoded blocks it keeps
    for the batches to come, and TensorFlow may keep a NumPy result's memory as the tensor's and
    write into it: without the copy, a streamed run's validation loss came out 114 instead of 0.15
    in some runs of a process (a block reused after TensorFlow had written into it)."""

    def fetched(*inputs):
        return tuple(np.array(array, copy=True) for array in fetch(*inputs))

    return fetched


def training_dataset(examples: TensorFlowExamples, epochs: int, initial_epoch: int = 0, initial_step: int = 0) -> tf.data.Dataset:
    """The training batches of epochs `initial_epoch` .. `epochs - 1`, one epoch after another,
    the first from its step `initial_step` (no earlier batch is read)."""
    data = examples.data
    if data.streamed is not None:  # an empty order: unshuffled
        whole_epochs = tf.data.Dataset.range(initial_epoch + (1 if initial_step else 0), epochs)
        orders = whole_epochs.map(lambda epoch: examples.order(epoch) if data.shuffle else tf.zeros([0], tf.int64))
        if not initial_step:
            return examples.streamed_training(orders)
        # A resume inside an epoch: the rest of that epoch fetched batch by batch from its step
        # (a block iterator starts at an epoch's first batch), then whole epochs.
        order = examples.order(tf.constant(initial_epoch, tf.int64))
        rest_of_epoch = tf.data.Dataset.range(initial_step, data.steps_per_epoch).map(lambda step: examples.train_batch(order, step))
        return rest_of_epoch.concatenate(examples.streamed_training(orders))

    def epoch_batches(epoch):
        order = examples.order(epoch)
        first = tf.where(epoch == initial_epoch, tf.constant(initial_step, tf.int64), tf.constant(0, tf.int64))
        return tf.data.Dataset.range(first, data.steps_per_epoch).map(lambda step: examples.train_batch(order, step))

    return tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch_batches).prefetch(tf.data.AUTOTUNE)


def held_out_dataset(examples: TensorFlowExamples, part: str) -> tf.data.Dataset | None:
    """The "validation" or "test" batches in order; None when the part is empty."""
    steps = examples.data.steps(part)
    if not steps:
        return None
    if examples.data.streamed is not None:
        return examples.streamed_held_out(part)
    batch = examples.validation_batch if part == "validation" else examples.test_batch
    return tf.data.Dataset.range(steps).map(batch).prefetch(tf.data.AUTOTUNE)
