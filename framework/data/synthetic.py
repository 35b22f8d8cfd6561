"""What every synthetic data source shares: seeded examples, the train/validation
split, and batches addressed by (epoch, step).

A batch is a pure function of (seed, epoch, step). Every strategy, and a resumed
run, therefore sees exactly the same batches in the same order however it
iterates: a tf.data pipeline (fit), or a loop inside one graph call (tape).
"""

from __future__ import annotations

import abc
import math
from typing import Annotated

import numpy as np
import pydantic
import tensorflow as tf

from framework.config.schema import ComponentConfig
from framework.data.storage import ExampleStorage, InMemoryExamples, StreamedExamples


class SyntheticDataConfig(ComponentConfig):
    """Attributes:
    num_examples: Examples generated in all, validation included.
    batch_size: Examples per training step; equal to num_examples for full-batch training.
    val_fraction: Share of the examples held out for validation, in [0, 1).
    shuffle: Reshuffles the training examples every epoch (seeded).
    seed: Seed of the generator; the same seed gives the same examples.
    streaming: Generates each batch when it is needed instead of holding every
        example in memory, so memory stays flat however large num_examples is.
        Streamed examples are drawn differently from held ones (per batch).
    """

    num_examples: Annotated[int, pydantic.Field(ge=1)]
    batch_size: Annotated[int, pydantic.Field(ge=1)]
    val_fraction: Annotated[float, pydantic.Field(ge=0, lt=1)]
    shuffle: bool
    seed: int
    streaming: bool

    @pydantic.model_validator(mode="after")
    def _leaves_training_examples(self):
        if self.num_examples - round(self.num_examples * self.val_fraction) < 1:
            raise ValueError(
                f"val_fraction={self.val_fraction} leaves no training examples out of "
                f"num_examples={self.num_examples}; lower val_fraction or raise num_examples"
            )
        return self


class SyntheticData(abc.ABC):
    """A seeded, deterministic source of (x, y) batches.

    Subclasses say how to draw examples (`generate`); this class splits off
    validation examples, orders each epoch and cuts batches.
    """

    def __init__(
        self,
        num_examples: int,
        batch_size: int,
        val_fraction: float,
        shuffle: bool,
        seed: int,
        streaming: bool,
    ):
        num_validation = round(num_examples * val_fraction)
        self.num_train_examples = num_examples - num_validation
        self.num_validation_examples = num_validation
        # A batch larger than the data is the whole data (full-batch training).
        self.batch_size = min(batch_size, self.num_train_examples)
        self.shuffle = shuffle
        self.seed = seed
        storage_type = StreamedExamples if streaming else InMemoryExamples
        self.storage: ExampleStorage = storage_type(
            self.generate, self.num_train_examples, num_validation, self.batch_size, seed
        )
        x, y = self.sample(1)
        self.input_shape: tuple[int, ...] = x.shape[1:]
        self.target_shape: tuple[int, ...] = y.shape[1:]

    @abc.abstractmethod
    def generate(self, num_examples: int | tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Draws float32 inputs [N, features] and targets [N, 1] from a stateless seed (shape [2])."""

    @property
    def true_variables(self) -> dict[str, float]:
        """The values model variables should reach, by variable name, where the source knows them (plots draw them)."""
        return {}

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.num_train_examples / self.batch_size)

    @property
    def validation_steps(self) -> int:
        return math.ceil(self.num_validation_examples / self.batch_size)

    def epoch_order(self, epoch: tf.Tensor) -> tf.Tensor | None:
        """The order of epoch `epoch`, drawn from (seed, epoch) alone; None when not shuffling."""
        if not self.shuffle:
            return None
        return tf.random.experimental.stateless_shuffle(
            tf.range(self.storage.num_units), seed=tf.stack([tf.constant(self.seed, tf.int64), tf.cast(epoch, tf.int64)])
        )

    def train_batch(self, order: tf.Tensor | None, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Batch `step` of an epoch ordered by `order` (from `epoch_order`)."""
        return self.storage.train_batch(order, step, single_batch=self.steps_per_epoch == 1)

    def validation_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self.storage.validation_batch(step)

    def train_dataset(self, epochs: int, initial_epoch: int = 0) -> tf.data.Dataset:
        """The batches of epochs `initial_epoch` .. `epochs - 1`, one epoch after another."""

        def epoch_batches(epoch):
            order = self.epoch_order(epoch)
            return tf.data.Dataset.range(self.steps_per_epoch).map(lambda step: self.train_batch(order, step))

        return tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch_batches).prefetch(tf.data.AUTOTUNE)

    def validation_dataset(self) -> tf.data.Dataset | None:
        if not self.num_validation_examples:
            return None
        return tf.data.Dataset.range(self.validation_steps).map(self.validation_batch).prefetch(tf.data.AUTOTUNE)

    def sample(self, num_examples: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `num_examples` training examples as float32 NumPy arrays (x, y), for plots and checks."""
        return self.storage.sample(min(num_examples, self.num_train_examples))
