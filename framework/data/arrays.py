"""Data sources whose examples exist up front as arrays: files and bundled data sets.

The examples are shuffled once with the data seed, then split into training,
validation and test parts, so which example lands in which part depends on the
seed alone, never on the order of rows in a file.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pydantic

from framework.data.random_numbers import permutation
from framework.data.source import DataSource, DataSourceConfig, split_sizes
from framework.data.storage import HeldExamples
from framework.errors import ConfigError, InputError


class ArrayDataConfig(DataSourceConfig):
    """Attributes:
    num_examples: Uses at most this many examples (after the seeded shuffle,
        so a subset is a random one); null uses every example.
    """

    num_examples: Annotated[int, pydantic.Field(ge=1)] | None


class ArrayData(DataSource):
    """Examples held in memory, split by a seeded shuffle.

    Args:
        x: Every input, [N, ...], convertible to float32.
        y: Every target: float32 regression values [N] or [N, outputs], or
            int32 class ids [N] when `class_names` is given.
        class_names: The classes in the order of their ids; None for regression.
        where: The config path of this source, for error messages ("data").
        num_examples, batch_size, val_fraction, test_fraction, shuffle, seed,
            normalize: As in ArrayDataConfig.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        class_names: tuple[str, ...] | None,
        num_examples: int | None,
        batch_size: int,
        val_fraction: float,
        test_fraction: float,
        shuffle: bool,
        seed: int,
        normalize: bool,
        where: str = "data",
    ):
        x = np.asarray(x, dtype=np.float32)
        if class_names is None:
            y = np.asarray(y, dtype=np.float32)
            y = y.reshape(len(y), -1)  # one column per output, as the synthetic sources
        else:
            y = np.asarray(y, dtype=np.int32)
        self.class_names = class_names
        order, num_train, num_validation = split_order(len(x), num_examples, val_fraction, test_fraction, seed, where)
        # np.take, not x[order]: the same rows, ten times faster for a million of them.
        storage = HeldExamples(np.take(x, order, axis=0), np.take(y, order, axis=0), num_train, num_validation, batch_size)
        super().__init__(storage, shuffle=shuffle, seed=seed, normalize=normalize)


def split_order(num_rows: int, num_examples: int | None, val_fraction: float, test_fraction: float, seed: int,
                where: str = "data") -> tuple[np.ndarray, int, int]:
    """The rows ArrayData keeps, in the order it splits them (training rows first), and how
    many are training and validation rows: for sources that learn from the training rows first."""
    # Seed stream -1: epoch orders use (seed, epoch >= 0), so the split never repeats an epoch's shuffle.
    order = permutation(num_rows, (seed, -1))[: num_examples or num_rows]
    try:
        num_train, num_validation, _ = split_sizes(len(order), val_fraction, test_fraction)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}.") from None
    return order, num_train, num_validation


def encode_classes(labels: np.ndarray, what: str = "data: the targets") -> tuple[np.ndarray, tuple[str, ...]]:
    """Class ids (int32 [N]) for `labels`, and the class names in id order.

    Names are sorted (numbers numerically, strings alphabetically), so the
    same set of labels always gets the same ids whatever order the rows come in.
    Numeric labels must be whole numbers (0/1/2, or 1.0/2.0): 2.37 is a value
    to predict, not a class.

    Raises:
        InputError: A numeric label is not a whole number; `what` names the labels.
    """
    labels = np.asarray(labels).reshape(-1)
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        row = int(np.argmax(labels != np.round(labels)))
        raise InputError(
            f"{what} are read as class labels (data.target_type=classification, or a loss that takes class ids: "
            f"sparse_categorical_crossentropy), but example {row} holds {labels[row]}, which is not a whole number. "
            f"Class labels are whole numbers or names; for numbers to predict, use data.target_type=regression "
            f"and a regression loss (loss=mse)."
        )
    if labels.dtype.kind == "f":
        labels = labels.astype(np.int64)  # 1.0 and 1 name one class: "1"
    names, ids = np.unique(labels, return_inverse=True)
    return ids.astype(np.int32), tuple(str(name) for name in names)
