"""What every synthetic data source shares: seeded generation, splitting, batching."""

from __future__ import annotations

import abc
import math
from typing import Annotated

import numpy as np
import pydantic
import tensorflow as tf

from framework.validation import ComponentConfig


class SyntheticDataConfig(ComponentConfig):
    """Attributes:
    num_examples: Examples generated in all, validation included.
    batch_size: Examples per training step; equal to num_examples for full-batch training.
    val_fraction: Share of the examples held out for validation, in [0, 1).
    shuffle: Reshuffles the training examples every epoch (seeded).
    seed: Seed of the generator; the same seed gives the same examples.
    """

    num_examples: Annotated[int, pydantic.Field(ge=1)]
    batch_size: Annotated[int, pydantic.Field(ge=1)]
    val_fraction: Annotated[float, pydantic.Field(ge=0, lt=1)]
    shuffle: bool
    seed: int

    @pydantic.model_validator(mode="after")
    def _leaves_training_examples(self):
        if self.num_examples - round(self.num_examples * self.val_fraction) < 1:
            raise ValueError(
                f"val_fraction={self.val_fraction} leaves no training examples out of "
                f"num_examples={self.num_examples}; lower val_fraction or raise num_examples"
            )
        return self


class SyntheticData(abc.ABC):
    """A seeded, deterministic data source of (x, y) pairs as tf.data pipelines.

    Subclasses say how to draw examples (`generate`); this class holds them,
    splits off validation examples and batches them.
    """

    def __init__(
        self,
        num_examples: int,
        batch_size: int,
        val_fraction: float,
        shuffle: bool,
        seed: int,
    ):
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        x, y = self.generate(num_examples, np.random.default_rng(seed))
        num_validation = round(num_examples * val_fraction)
        num_train = num_examples - num_validation
        self.x_train, self.y_train = x[:num_train], y[:num_train]
        self.x_val, self.y_val = x[num_train:], y[num_train:]

    @abc.abstractmethod
    def generate(self, num_examples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Returns float32 inputs [N, features] and targets [N, 1]."""

    def sample(self, num_examples: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `num_examples` training examples as float32 NumPy arrays (x, y), for plots and checks."""
        return self.x_train[:num_examples], self.y_train[:num_examples]

    @property
    def num_train_examples(self) -> int:
        return len(self.x_train)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.num_train_examples / self.batch_size)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.x_train.shape[1:]

    @property
    def target_shape(self) -> tuple[int, ...]:
        return self.y_train.shape[1:]

    def train_dataset(self, epochs: int, initial_epoch: int = 0) -> tf.data.Dataset:
        """The batches of epochs `initial_epoch` .. `epochs - 1`, one epoch after another.

        Epoch e is shuffled by a permutation drawn from (seed, e) alone, so every
        strategy, and a resumed run, sees exactly the same batches in the same
        order, however it iterates.
        """
        x, y = tf.constant(self.x_train), tf.constant(self.y_train)
        num_train, batch_size, seed, shuffle = self.num_train_examples, self.batch_size, self.seed, self.shuffle

        def epoch_indices(epoch):
            indices = tf.range(num_train)
            if shuffle:
                indices = tf.random.experimental.stateless_shuffle(
                    indices, seed=tf.stack([tf.constant(seed, tf.int64), epoch])
                )
            return tf.data.Dataset.from_tensor_slices(indices).batch(batch_size)

        return (
            tf.data.Dataset.range(initial_epoch, epochs)
            .flat_map(epoch_indices)
            .map(lambda indices: (tf.gather(x, indices), tf.gather(y, indices)))
            .prefetch(tf.data.AUTOTUNE)
        )

    def validation_dataset(self) -> tf.data.Dataset | None:
        if len(self.x_val) == 0:
            return None
        dataset = tf.data.Dataset.from_tensor_slices((self.x_val, self.y_val))
        return dataset.batch(self.batch_size).prefetch(tf.data.AUTOTUNE)
