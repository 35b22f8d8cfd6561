"""Synthetic data sources: examples drawn from a seeded generator.

Subclasses say how to draw examples (`generate`); held in memory, every example
is drawn once at start-up, and streamed, each batch is drawn when it is needed.
"""

from __future__ import annotations

import abc
from typing import Annotated

import numpy as np
import pydantic

from framework.data.random_numbers import Seed
from framework.data.source import DataSource, DataSourceConfig, split_sizes
from framework.data.storage import ExampleStorage, GeneratedExamples, HeldExamples


class SyntheticDataConfig(DataSourceConfig):
    """Attributes:
    num_examples: Examples generated in all, validation and test included.
    streaming: Generates each batch when it is needed instead of holding every
        example in memory, so memory stays flat however large num_examples is.
        Streamed examples are drawn differently from held ones (per batch).
    """

    num_examples: Annotated[int, pydantic.Field(ge=1)]
    streaming: bool

    @pydantic.model_validator(mode="after")
    def _leaves_training_examples(self):
        split_sizes(self.num_examples, self.val_fraction, self.test_fraction)  # its ValueError names the fix
        return self


class SyntheticData(DataSource, abc.ABC):
    """A seeded, deterministic source of generated (x, y) batches."""

    def __init__(
        self,
        num_examples: int,
        batch_size: int,
        val_fraction: float,
        test_fraction: float,
        shuffle: bool,
        seed: int,
        normalize: bool,
        streaming: bool,
    ):
        num_train, num_validation, num_test = split_sizes(num_examples, val_fraction, test_fraction)
        storage: ExampleStorage
        if streaming:
            storage = GeneratedExamples(self.generate, num_train, num_validation, num_test, batch_size, seed)
        else:
            storage = HeldExamples.generated(self.generate, num_train, num_validation, num_test, batch_size, seed)
        super().__init__(storage, shuffle=shuffle, seed=seed, normalize=normalize)

    @abc.abstractmethod
    def generate(self, num_examples: int, seed: Seed) -> tuple[np.ndarray, np.ndarray]:
        """Draws float32 inputs [N, ...] and targets (float32 [N, outputs], or int32
        class ids [N]) from a seed pair (framework.data.random_numbers)."""
