"""The data source every strategy sees: seeded examples split into training,
validation and test parts, and batches addressed by (epoch, step).

A batch is a pure function of (seed, epoch, step). Every strategy, and a resumed
run, therefore sees exactly the same batches in the same order however it
iterates: a tf.data pipeline (fit), or a loop inside one graph call (tape).

Inputs are float32. Targets are float32 [N, outputs] for regression, and int32
class ids [N] for classification (`class_names` is then set): the shape Keras's
sparse_categorical_crossentropy and sparse_categorical_accuracy take as y_true.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pydantic
import tensorflow as tf

from framework.config.schema import ComponentConfig
from framework.data.storage import ExampleStorage

if TYPE_CHECKING:
    import keras


class DataSourceConfig(ComponentConfig):
    """What every data source is configured by.

    Attributes:
        batch_size: Examples per training step; at least the training examples means full-batch training.
        val_fraction: Share of the examples held out for validation, in [0, 1).
        test_fraction: Share of the examples held out for a final test, in [0, 1).
        shuffle: Reshuffles the training examples every epoch (seeded).
        seed: Seed of the examples, the split and the epoch order; the same seed gives the same batches.
        normalize: Offers a Normalization layer adapted on the training examples (`normalizer()`).
    """

    batch_size: Annotated[int, pydantic.Field(ge=1)]
    val_fraction: Annotated[float, pydantic.Field(ge=0, lt=1)]
    test_fraction: Annotated[float, pydantic.Field(ge=0, lt=1)]
    shuffle: bool
    seed: int
    normalize: bool


def split_sizes(num_examples: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """(training, validation, test) example counts; raises ValueError when no training example is left."""
    num_validation = round(num_examples * val_fraction)
    num_test = round(num_examples * test_fraction)
    num_train = num_examples - num_validation - num_test
    if num_train < 1:
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} leave no training examples "
            f"out of {num_examples}; lower them or use more examples"
        )
    return num_train, num_validation, num_test


class DataSource:
    """A seeded, deterministic source of (x, y) batches for training, validation and test.

    Subclasses say where examples come from by handing over an ExampleStorage;
    this class orders each epoch and builds the tf.data pipelines.

    Attributes:
        input_shape: Shape of one input example, e.g. (features,) or (height, width, channels).
        target_shape: Shape of one target: (outputs,) for regression, () for class ids.
        class_names: The classes, in the order of their ids; None for regression targets.
        feature_names: The names of the input features, in the order of the last input
            axis, where the source has them (a CSV file's columns); None otherwise.
        true_variables: Values the model's variables should reach, where the
            source knows them ({"W": 3.0, "b": 2.0} for the linear data); empty otherwise.
    """

    class_names: tuple[str, ...] | None = None
    feature_names: tuple[str, ...] | None = None
    true_variables: Mapping[str, float] = types.MappingProxyType({})

    def __init__(self, storage: ExampleStorage, shuffle: bool, seed: int, normalize: bool):
        self.storage = storage
        self.shuffle = shuffle
        self.seed = seed
        self.normalize = normalize
        x, y = self.sample(1)
        self.input_shape: tuple[int, ...] = tuple(x.shape[1:])
        self.target_shape: tuple[int, ...] = tuple(y.shape[1:])

    @property
    def num_classes(self) -> int | None:
        return None if self.class_names is None else len(self.class_names)

    @property
    def batch_size(self) -> int:
        return self.storage.batch_size

    @property
    def num_train_examples(self) -> int:
        return self.storage.num_train

    @property
    def num_validation_examples(self) -> int:
        return self.storage.num_validation

    @property
    def num_test_examples(self) -> int:
        return self.storage.num_test

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.num_train_examples / self.batch_size)

    @property
    def validation_steps(self) -> int:
        return math.ceil(self.num_validation_examples / self.batch_size)

    @property
    def test_steps(self) -> int:
        return math.ceil(self.num_test_examples / self.batch_size)

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow: see strategies/compiled_epochs.py
    def epoch_order(self, epoch: tf.Tensor) -> tf.Tensor | None:
        """The order of epoch `epoch`, drawn from (seed, epoch) alone; None when not shuffling."""
        if not self.shuffle:
            return None
        return tf.random.experimental.stateless_shuffle(
            tf.range(self.storage.num_units), seed=tf.stack([tf.constant(self.seed, tf.int64), tf.cast(epoch, tf.int64)])
        )

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow: see strategies/compiled_epochs.py
    def train_batch(self, order: tf.Tensor | None, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Batch `step` of an epoch ordered by `order` (from `epoch_order`)."""
        return self.storage.train_batch(order, step, single_batch=self.steps_per_epoch == 1)

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow: see strategies/compiled_epochs.py
    def validation_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self.storage.validation_batch(step)

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow: see strategies/compiled_epochs.py
    def test_batch(self, step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self.storage.test_batch(step)

    def train_dataset(self, epochs: int, initial_epoch: int = 0) -> tf.data.Dataset:
        """The batches of epochs `initial_epoch` .. `epochs - 1`, one epoch after another."""

        def epoch_batches(epoch):
            order = self.epoch_order(epoch)
            return tf.data.Dataset.range(self.steps_per_epoch).map(lambda step: self.train_batch(order, step))

        return tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch_batches).prefetch(tf.data.AUTOTUNE)

    def validation_dataset(self) -> tf.data.Dataset | None:
        """The validation batches in order; None without validation examples."""
        if not self.num_validation_examples:
            return None
        return tf.data.Dataset.range(self.validation_steps).map(self.validation_batch).prefetch(tf.data.AUTOTUNE)

    def test_dataset(self) -> tf.data.Dataset | None:
        """The test batches in order; None without test examples."""
        if not self.num_test_examples:
            return None
        return tf.data.Dataset.range(self.test_steps).map(self.test_batch).prefetch(tf.data.AUTOTUNE)

    def sample(self, num_examples: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `num_examples` training examples as NumPy arrays (x, y), for plots and checks."""
        return self.storage.sample(min(num_examples, self.num_train_examples))

    def normalizer(self) -> keras.layers.Normalization | None:
        """A Normalization layer (per last-axis feature) adapted on the training
        examples only, so validation and test statistics never leak into the
        model; None when `normalize` is false."""
        if not self.normalize:
            return None
        import keras

        layer = keras.layers.Normalization(axis=-1)
        # One unshuffled pass over the training batches: the same for held and
        # streamed examples, and never touching validation or test examples.
        inputs = tf.data.Dataset.range(self.steps_per_epoch).map(lambda step: self.train_batch(None, step)[0])
        layer.adapt(inputs)
        return layer
