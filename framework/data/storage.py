"""Where a data source's examples live: held in memory, or generated per batch.

Both answer the same questions (a training batch for a step of an ordered
epoch, a validation or test batch, a NumPy sample), so a data source and the
strategies never ask which one they have. Examples are split in one fixed
order: training, then validation, then test.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable

import numpy as np
import tensorflow as tf

# (num_examples, stateless seed [2]) -> (x, y)
Generator = Callable[[int | tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]


class ExampleStorage(abc.ABC):
    """Training, validation and test examples of one data source.

    Attributes:
        num_train, num_validation, num_test: Examples in each part.
        batch_size: Examples per batch; a batch larger than the training
            examples is all of them (full-batch training).
    """

    def __init__(self, num_train: int, num_validation: int, num_test: int, batch_size: int):
        self.num_train = num_train
        self.num_validation = num_validation
        self.num_test = num_test
        self.batch_size = min(batch_size, num_train)

    @property
    @abc.abstractmethod
    def num_units(self) -> int:
        """How many things an epoch's order permutes (examples, or whole batches)."""

    @abc.abstractmethod
    def train_batch(self, order: tf.Tensor | None, step: tf.Tensor, single_batch: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """The training batch at `step`; `single_batch` when an epoch is one batch."""

    @abc.abstractmethod
    def validation_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The validation batch at `step`."""

    @abc.abstractmethod
    def test_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The test batch at `step`."""

    @abc.abstractmethod
    def sample(self, num_examples: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `num_examples` training examples as NumPy arrays."""


class InMemoryExamples(ExampleStorage):
    """Every example held as a tensor; an epoch's order permutes examples.

    Args:
        x, y: Every example: the training ones first, then the validation
            ones, then the test ones.
        num_train, num_validation: Examples in the first two parts; the rest are test examples.
        batch_size: Examples per batch.
    """

    def __init__(self, x, y, num_train: int, num_validation: int, batch_size: int):
        super().__init__(num_train, num_validation, len(x) - num_train - num_validation, batch_size)
        end_of_validation = num_train + num_validation
        self.x_train, self.y_train = tf.constant(x[:num_train]), tf.constant(y[:num_train])
        self.x_val, self.y_val = tf.constant(x[num_train:end_of_validation]), tf.constant(y[num_train:end_of_validation])
        self.x_test, self.y_test = tf.constant(x[end_of_validation:]), tf.constant(y[end_of_validation:])

    @classmethod
    def generated(
        cls, generate: Generator, num_train: int, num_validation: int, num_test: int, batch_size: int, seed: int
    ) -> InMemoryExamples:
        """Every example drawn at once, at start-up, from the seed."""
        x, y = generate(num_train + num_validation + num_test, tf.constant([seed, 0], tf.int64))
        return cls(x, y, num_train, num_validation, batch_size)

    @property
    def num_units(self) -> int:
        return self.num_train

    def train_batch(self, order, step, single_batch):
        if single_batch:  # the whole set: no slicing, and shapes stay static
            if order is None:
                return self.x_train, self.y_train
            return tf.gather(self.x_train, order), tf.gather(self.y_train, order)
        start = tf.cast(step, tf.int64) * self.batch_size
        if order is None:
            return self.x_train[start : start + self.batch_size], self.y_train[start : start + self.batch_size]
        indices = order[start : start + self.batch_size]
        return tf.gather(self.x_train, indices), tf.gather(self.y_train, indices)

    def validation_batch(self, step):
        return self._slice(self.x_val, self.y_val, step)

    def test_batch(self, step):
        return self._slice(self.x_test, self.y_test, step)

    def sample(self, num_examples):
        return self.x_train[:num_examples].numpy(), self.y_train[:num_examples].numpy()

    def _slice(self, x: tf.Tensor, y: tf.Tensor, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        start = tf.cast(step, tf.int64) * self.batch_size
        return x[start : start + self.batch_size], y[start : start + self.batch_size]


class StreamedExamples(ExampleStorage):
    """Each batch-sized block of examples is generated from (seed, block) when needed.

    Nothing grows with the number of examples: an epoch's order permutes
    blocks; validation examples are the blocks after the training ones, and
    test examples the blocks after those.
    """

    def __init__(self, generate: Generator, num_train: int, num_validation: int, num_test: int, batch_size: int, seed: int):
        super().__init__(num_train, num_validation, num_test, batch_size)
        self.generate = generate
        self.seed = seed

    @property
    def num_units(self) -> int:
        return math.ceil(self.num_train / self.batch_size)

    def train_batch(self, order, step, single_batch):
        block = tf.cast(step if order is None else tf.gather(order, step), tf.int64)
        return self._block(block, position=block, count=self.num_train)

    def validation_batch(self, step):
        step = tf.cast(step, tf.int64)
        return self._block(self.num_units + step, position=step, count=self.num_validation)

    def test_batch(self, step):
        step = tf.cast(step, tf.int64)
        validation_blocks = math.ceil(self.num_validation / self.batch_size)
        return self._block(self.num_units + validation_blocks + step, position=step, count=self.num_test)

    def sample(self, num_examples):
        blocks = [self.train_batch(None, tf.constant(b, tf.int64), False) for b in range(math.ceil(num_examples / self.batch_size))]
        x, y = (tf.concat(parts, axis=0)[:num_examples].numpy() for parts in zip(*blocks))
        return x, y

    def _block(self, block: tf.Tensor, position: tf.Tensor, count: int) -> tuple[tf.Tensor, tf.Tensor]:
        """Block `position` of a part holding `count` examples, drawn from (seed, block)."""
        # Blocks are batch_size long except a shorter last one; when the part
        # divides evenly the size stays static.
        if count % self.batch_size == 0:
            size = self.batch_size
        else:
            size = tf.minimum(tf.constant(self.batch_size, tf.int64), count - position * self.batch_size)
        return self.generate(size, tf.stack([tf.constant(self.seed, tf.int64), 1 + block]))
