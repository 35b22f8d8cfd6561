"""A run's extra validation sets (the `validation_sets` setting), built and evaluated.

Each set is a data source read whole, in order. It is evaluated with the
live model by Keras's `evaluate`, as `fit` evaluates its validation data, so
its values are those of an independent `model.evaluate` on the same
examples, on every backend and under every strategy. A set whose class
labels are a subset of the training data's has its class ids read as the
training data's ids (each source numbers its own sorted labels).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from framework.config.validation_sets import set_value_name
from framework.data.source import DataSource
from framework.errors import FrameworkError
from framework.registry import Resolved


class ValidationSets:
    """The run's extra validation sets by name (none: the run has only its own validation split)."""

    def __init__(self, sources: Mapping[str, DataSource] | None = None, class_names: tuple[str, ...] | None = None):
        self.sources = dict(sources or {})
        self._class_names = class_names
        self._inputs: dict[str, Any] = {}

    @classmethod
    def build(cls, resolved: Mapping[str, Resolved], data: DataSource) -> ValidationSets:
        """Each set's source built; a source's error names the set it belongs to."""
        sources = {}
        for name, spec in resolved.items():
            try:
                sources[name] = spec.build()
            except FrameworkError as error:
                raise type(error)(f"validation_sets.{name}: {error}") from error
        return cls(sources, data.class_names)

    def __bool__(self) -> bool:
        return bool(self.sources)

    @property
    def data_files(self) -> list[Path]:
        """The files the sets read, whose identity a run records and a resume checks."""
        return [path for source in self.sources.values() for path in source.data_files]

    def evaluate(self, model: keras.Model, feed: Callable[[SetBatches], Any]) -> dict[str, float]:
        """Every set's loss and metrics for `model` as it is now: {val_<set>_<value>: value}.
        `feed` turns a set's batches into what the backend's `evaluate` reads best (built once a set)."""
        values = {}
        for name, source in self.sources.items():
            if name not in self._inputs:
                self._inputs[name] = feed(SetBatches(source, self._class_names))
            results = model.evaluate(self._inputs[name], verbose=0, return_dict=True)
            values.update({set_value_name(name, value): float(result) for value, result in results.items()})
        return values


class SetBatches(keras.utils.PyDataset):
    """Every example of a set, in order, its class ids read as the training data's."""

    def __init__(self, source: DataSource, class_names: tuple[str, ...] | None):
        super().__init__()
        self.source = source
        self._ids = None
        if class_names is not None and source.class_names != class_names:
            self._ids = np.array([class_names.index(name) for name in source.class_names], np.int32)

    def __len__(self) -> int:
        return self.source.steps("train")

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.source.storage.train_batch(None, index)
        return x, self._class_ids(y)

    def held(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Every example as arrays when the source holds them in memory, else None."""
        if self.source.held is None:
            return None
        x, y = self.source.held.parts["train"]
        return x, self._class_ids(y)

    def _class_ids(self, y: np.ndarray) -> np.ndarray:
        return y if self._ids is None else self._ids[y]
