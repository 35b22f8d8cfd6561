"""Categorical feature columns of a table (text, or integer codes): each value becomes a code.

A categorical column reaches the model as a number, its value's code; the
model's first layer (framework.layers.categorical_inputs) turns the code into
a one-hot vector or an embedding, and keeps the column's vocabulary, so the
saved model carries it and framework.predict reads raw values.

- `lookup`: the code is the value's position in a vocabulary learned from the
  training rows only (sorted, so the same rows give the same codes, whatever
  their order). Code 0 is the bucket of every value outside the vocabulary: a
  category seen first at predict time, or only in validation or test rows.
- `hashing`: the code is a stable hash of the value modulo `bins` (pandas'
  `hash_array`); no vocabulary, and different values may share a code.

Values are compared as text, whole numbers without a decimal point: the number
94110 (or 94110.0) of one file and the text "94110" of another are one category.
Codes are made on the host, in NumPy, on every backend: string tensors
cannot enter JAX's compiled step, and TensorFlow's loops then get the same codes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np

from framework.errors import ConfigError

Mode = Literal["lookup", "hashing"]
Encoding = Literal["one_hot", "embedding"]


@dataclasses.dataclass(frozen=True)
class CategoricalColumn:
    """One categorical feature: where it sits in the inputs, and how its values become codes.

    Attributes:
        name: The column's name.
        position: Its index on the inputs' last axis.
        mode: lookup or hashing.
        vocabulary: lookup: the training rows' values, sorted (code i + 1 is vocabulary[i]).
        bins: hashing: the number of codes.
    """

    name: str
    position: int
    mode: Mode
    vocabulary: tuple[str, ...] = ()
    bins: int = 0

    @classmethod
    def learned(cls, name: str, position: int, mode: Mode, training_values: Iterable[np.ndarray], bins: int) -> CategoricalColumn:
        """The column with its vocabulary learned from the training rows' values (chunks of them)."""
        if mode == "hashing":
            return cls(name, position, mode, bins=bins)
        seen: set[str] = set()
        for values in training_values:
            seen.update(as_text(values).tolist())
        return cls(name, position, mode, vocabulary=tuple(sorted(seen)))

    @property
    def size(self) -> int:
        """How many codes the column takes: the vocabulary and its unseen bucket, or the hash bins."""
        return len(self.vocabulary) + 1 if self.mode == "lookup" else self.bins

    def codes(self, values: np.ndarray) -> np.ndarray:
        """float32 codes of `values` (any kind: text, integers, whole floats)."""
        import pandas

        text = as_text(values)
        if self.mode == "hashing":
            return (pandas.util.hash_array(text) % np.uint64(self.bins)).astype(np.float32)
        # get_indexer answers -1 for a value outside the vocabulary: the unseen bucket, 0.
        return (pandas.Index(self.vocabulary, dtype=object).get_indexer(text) + 1).astype(np.float32)

    def describe(self) -> str:
        if self.mode == "hashing":
            return f"{self.name}: hashing into {self.bins} bins"
        return f"{self.name}: lookup of {len(self.vocabulary)} value(s) from the training rows, code 0 for unseen ones"

    def to_config(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "vocabulary": list(self.vocabulary)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CategoricalColumn:
        return cls(**{**config, "vocabulary": tuple(config.get("vocabulary", ()))})


@dataclasses.dataclass(frozen=True)
class Categories:
    """A data source's categorical columns and how the model encodes them.

    Attributes:
        columns: The categorical columns, by position.
        encoding: one_hot (a vector of `size` per column) or embedding (a trained vector of `embedding_dim`).
        embedding_dim: The length of an embedding.
    """

    columns: tuple[CategoricalColumn, ...]
    encoding: Encoding
    embedding_dim: int

    def describe(self) -> str:
        """One line per column: how its values become codes, and how the model encodes those."""
        how = "one-hot" if self.encoding == "one_hot" else f"an embedding of {self.embedding_dim}"
        return "\n".join(f"  {column.describe()}; {how} in the model" for column in self.columns)


def known_or_learned(modes: dict[str, Mode], features: list[str], known: dict[str, CategoricalColumn] | None,
                     learn: Callable[[str, int, Mode], CategoricalColumn]) -> tuple[CategoricalColumn, ...]:
    """Each categorical column: a trained model's (`known`: scoring data with the vocabulary the model
    was trained with, framework.evaluate) where it has one, else learned from the training rows by `learn`."""
    known = known or {}
    return tuple(
        dataclasses.replace(known[name], position=features.index(name)) if name in known else learn(name, features.index(name), mode)
        for name, mode in modes.items()
    )


def categorical_modes(features: list[str], is_text: Callable[[str], bool], chosen: dict[str, str] | None,
                      targets: list[str]) -> dict[str, Mode]:
    """Each categorical feature's mode: those data.categorical names, and every other text feature (lookup).
    Columns named that are no features are refused (their existence is checked with the other keys')."""
    chosen = dict(chosen or {})
    for name in chosen:
        if name not in features:
            role = "the target" if name in targets else "not one of data.features"
            raise ConfigError(
                f"data.categorical names the column {name!r}, which is {role}; it lists input columns only. "
                f"Remove it from data.categorical, or add it to data.features."
            )
    return {name: chosen.get(name, "lookup") for name in features if name in chosen or is_text(name)}


def as_text(values: np.ndarray) -> np.ndarray:
    """Values as an object array of str: whole floats as integers (1.0 -> "1"), so a column
    read as numbers in one place and as text in another has the same categories."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        whole = np.isfinite(values) & (values == np.round(values))
        return np.asarray([str(int(v)) if w else str(v) for v, w in zip(values.tolist(), whole.tolist())], dtype=object)
    if values.dtype.kind in "iub":
        return values.astype(str).astype(object)
    return np.asarray([str(value) for value in values.tolist()], dtype=object)
