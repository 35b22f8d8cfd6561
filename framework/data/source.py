"""The data source every strategy sees: seeded examples split into training,
validation and test parts, and batches addressed by (epoch, step).

A batch is a pure function of (seed, epoch, step), and a NumPy array. Every
strategy and backend, and a resumed run, therefore sees exactly the same
batches in the same order however it iterates: the pipeline `fit` reads, or a
loop inside one compiled call (the hand-written loop). Each backend builds
those from the arrays here (framework.backends).

Inputs are float32. Targets are float32 [N, outputs] for regression, and int32
class ids [N] for classification (`class_names` is then set): the shape Keras's
sparse_categorical_crossentropy and sparse_categorical_accuracy take as y_true.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pydantic

from framework.data.categories import Categories
from framework.data.random_numbers import permutation
from framework.data.storage import PARTS, ExampleStorage, HeldExamples
from framework.data.streamed import StreamedExamples
from framework.registry.schema import ComponentConfig

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
    this class orders each epoch and addresses every batch.

    Attributes:
        input_shape: Shape of one input example, e.g. (features,) or (height, width, channels).
        target_shape: Shape of one target: (outputs,) for regression, () for class ids.
        class_names: The classes, in the order of their ids; None for regression targets.
        feature_names: The names of the input features, in the order of the last input
            axis, where the source has them (a CSV file's columns); None otherwise.
        true_variables: Values the model's variables should reach, where the
            source knows them ({"W": 3.0, "b": 2.0} for the linear data); empty otherwise.
        data_files: The files the examples are read from, whose identity a run
            records and a resume checks (framework.data.identity); empty for generated data.
        categories: The input columns that hold categories' codes, and how the model
            encodes them (framework.data.categories); None where every input is a number.
    """

    class_names: tuple[str, ...] | None = None
    feature_names: tuple[str, ...] | None = None
    true_variables: Mapping[str, float] = types.MappingProxyType({})
    data_files: tuple[Path, ...] = ()
    categories: Categories | None = None

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

    @property
    def held(self) -> HeldExamples | None:
        """The examples as arrays when the source holds them all in memory (a backend
        may then keep them on its device and gather batches there), else None."""
        return self.storage if isinstance(self.storage, HeldExamples) else None

    @property
    def streamed(self) -> StreamedExamples | None:
        """The storage when the source reads its examples a block at a time (a backend may then
        hand whole blocks to its pipeline and cut batches there), else None."""
        return self.storage if isinstance(self.storage, StreamedExamples) else None

    def epoch_order(self, epoch: int) -> np.ndarray | None:
        """The order of epoch `epoch` (a permutation of the storage's units), drawn from
        (seed, epoch) alone; None when not shuffling."""
        if not self.shuffle:
            return None
        return permutation(self.storage.num_units, (self.seed, epoch))

    def train_batch(self, epoch: int, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Training batch `step` of epoch `epoch`."""
        return self.storage.train_batch(self.epoch_order(epoch), step)

    def validation_batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        return self.storage.held_out_batch("validation", step)

    def test_batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        return self.storage.held_out_batch("test", step)

    def steps(self, part: str) -> int:
        """Batches in `part`: "train" (one epoch), "validation" or "test"."""
        return {"train": self.steps_per_epoch, "validation": self.validation_steps, "test": self.test_steps}[part]

    def batches(self, part: str, epoch: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The batches of `part` in order: a "validation" or "test" part, or "train"
        as epoch `epoch` orders it (unshuffled when None)."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}, not {part!r}")
        order = None if epoch is None else self.epoch_order(epoch)
        for step in range(self.steps(part)):
            yield self.storage.train_batch(order, step) if part == "train" else self.storage.held_out_batch(part, step)

    def examples(self, part: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Up to `limit` examples of `part` in order (all of them when None); None when the part is empty."""
        collected, count = [], 0
        for x, y in self.batches(part):
            collected.append((x, y))
            count += len(x)
            if limit is not None and count >= limit:
                break
        if not collected:
            return None
        x, y = (np.concatenate(arrays) for arrays in zip(*collected))
        return x[:limit], y[:limit]

    def sample(self, num_examples: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `num_examples` training examples as NumPy arrays (x, y), for plots and checks."""
        return self.storage.sample(min(num_examples, self.num_train_examples))

    def normalizer_chunks(self) -> Iterator[np.ndarray]:
        """The training inputs in chunks, for the normalizer's one pass: the training batches, unshuffled."""
        return (x for x, _ in self.batches("train"))

    def normalizer(self) -> keras.layers.Normalization | None:
        """A Normalization layer (per last-axis feature) with the mean and variance of
        the training examples only, so validation and test statistics never leak into
        the model; None when `normalize` is false. Categorical columns' codes pass
        unchanged (mean 0, variance 1): only numeric columns are normalized."""
        if not self.normalize:
            return None
        import keras

        # One unshuffled pass over the training batches in float64 sums: the same for
        # held and generated examples, never touching validation or test examples.
        count, total, squares = 0, 0.0, 0.0
        for x in self.normalizer_chunks():
            features = x.reshape(-1, x.shape[-1]).astype(np.float64)
            count += len(features)
            total = total + features.sum(axis=0)
            squares = squares + np.square(features).sum(axis=0)
        mean = total / count
        variance = np.maximum(squares / count - np.square(mean), 0.0)
        codes = [column.position for column in self.categories.columns] if self.categories else []
        mean[codes], variance[codes] = 0.0, 1.0
        layer = keras.layers.Normalization(axis=-1, mean=mean.astype(np.float32), variance=variance.astype(np.float32))
        layer.build((None, *self.input_shape))
        return layer
