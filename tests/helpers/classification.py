"""A tiny binary classification task for metric tests: one feature x, label 1 where x + noise > 0.

Registered only while a test needs it (see `registered_halfplane_data`), so
other tests see the framework's own data sources alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from framework.data import random_numbers
from framework.data.sine import SineDataConfig
from framework.data.synthetic import SyntheticData
from framework.registry import DATA

KEY = "test_halfplane"
# Composes the task with sine's config keys (low, high, noise_std) and a
# one-unit sigmoid model; add metrics and the strategy.
OVERRIDES = (
    "data=sine", f"data.name={KEY}", "data.num_examples=300", "data.batch_size=64", "data.noise_std=1.0",
    "model=sequential", "model.layers=[{name: dense, units: 4, activation: tanh}, {name: dense, units: 1, activation: sigmoid}]",
    "optimizer=adam", "optimizer.learning_rate=0.05",
)


class HalfplaneData(SyntheticData):
    def __init__(self, low, high, noise_std, **common):
        self.low, self.high, self.noise_std = low, high, noise_std
        super().__init__(**common)

    def generate(self, num_examples, seed):
        x = random_numbers.uniform((num_examples, 1), seed, self.low, self.high)
        noise = random_numbers.normal((num_examples, 1), random_numbers.fold_in(seed, 1)) * np.float32(self.noise_std)
        return x, (x + noise > 0).astype(np.float32)


@contextlib.contextmanager
def registered_halfplane_data() -> Iterator[None]:
    DATA.register(KEY, config=SineDataConfig)(HalfplaneData)
    try:
        yield
    finally:
        DATA.unregister(KEY)
