"""Where a data source's examples live: held in memory, or generated per batch.

Both answer the same questions with NumPy arrays (a training batch for a
step of an ordered epoch, a validation or test batch, a sample), so a data
source and the strategies never ask which one they have. Examples are split
in one fixed order: training, then validation, then test.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable

import numpy as np

from framework.data.random_numbers import Seed

# (num_examples, seed pair) -> (x, y)
Generator = Callable[[int, Seed], tuple[np.ndarray, np.ndarray]]

PARTS = ("train", "validation", "test")


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
    def train_batch(self, order: np.ndarray | None, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The training batch at `step` of an epoch ordered by `order` (None: unshuffled)."""

    @abc.abstractmethod
    def held_out_batch(self, part: str, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch `step` of the "validation" or "test" part, in order."""

    def sample(self, num_examples: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `num_examples` training examples."""
        steps = math.ceil(num_examples / self.batch_size)
        x, y = (np.concatenate(parts) for parts in zip(*(self.train_batch(None, step) for step in range(steps))))
        return x[:num_examples], y[:num_examples]


class HeldExamples(ExampleStorage):
    """Every example held as a NumPy array; an epoch's order permutes examples.

    Args:
        x, y: Every example: the training ones first, then the validation
            ones, then the test ones.
        num_train, num_validation: Examples in the first two parts; the rest are test examples.
        batch_size: Examples per batch.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, num_train: int, num_validation: int, batch_size: int):
        super().__init__(num_train, num_validation, len(x) - num_train - num_validation, batch_size)
        end_of_validation = num_train + num_validation
        self.parts = {
            "train": (x[:num_train], y[:num_train]),
            "validation": (x[num_train:end_of_validation], y[num_train:end_of_validation]),
            "test": (x[end_of_validation:], y[end_of_validation:]),
        }

    @classmethod
    def generated(
        cls, generate: Generator, num_train: int, num_validation: int, num_test: int, batch_size: int, seed: int
    ) -> HeldExamples:
        """Every example drawn at once, at start-up, from the seed."""
        x, y = _arrays(generate(num_train + num_validation + num_test, (seed, 0)))
        return cls(x, y, num_train, num_validation, batch_size)

    @property
    def num_units(self) -> int:
        return self.num_train

    def train_batch(self, order, step):
        x, y = self.parts["train"]
        start = step * self.batch_size
        if order is None:
            return x[start : start + self.batch_size], y[start : start + self.batch_size]
        indices = order[start : start + self.batch_size]
        return np.take(x, indices, axis=0), np.take(y, indices, axis=0)

    def held_out_batch(self, part, step):
        x, y = self.parts[part]
        start = step * self.batch_size
        return x[start : start + self.batch_size], y[start : start + self.batch_size]

    def sample(self, num_examples):
        x, y = self.parts["train"]
        return x[:num_examples], y[:num_examples]


class GeneratedExamples(ExampleStorage):
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

    def train_batch(self, order, step):
        block = int(step if order is None else order[step])
        return self._block(block, position=block, count=self.num_train)

    def held_out_batch(self, part, step):
        first_block = self.num_units
        if part == "test":
            first_block += math.ceil(self.num_validation / self.batch_size)
        count = self.num_validation if part == "validation" else self.num_test
        return self._block(first_block + step, position=step, count=count)

    def _block(self, block: int, position: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Block `position` of a part holding `count` examples, drawn from (seed, block):
        batch_size examples, the last block of a part those that are left."""
        size = min(self.batch_size, count - position * self.batch_size)
        return _arrays(self.generate(size, (self.seed, 1 + block)))


def _arrays(examples) -> tuple[np.ndarray, np.ndarray]:
    """A generator's (x, y) as NumPy arrays (a generator written with a backend's ops returns its tensors)."""
    x, y = examples
    return np.asarray(x), np.asarray(y)
