"""A nonlinear target: y = sin(x) + N(0, noise_std) noise, x uniform over [low, high]."""

from typing import Annotated

import numpy as np
import pydantic

from framework.data import random_numbers
from framework.data.synthetic import SyntheticData, SyntheticDataConfig
from framework.registry import DATA


class SineDataConfig(SyntheticDataConfig):
    """Attributes:
    low: Smallest x drawn.
    high: Largest x drawn; must exceed low.
    noise_std: Standard deviation of the Gaussian noise added to y.
    """

    low: float
    high: float
    noise_std: Annotated[float, pydantic.Field(ge=0)]

    @pydantic.model_validator(mode="after")
    def _range_is_not_empty(self):
        if self.high <= self.low:
            raise ValueError(f"high={self.high} must be greater than low={self.low}")
        return self


@DATA.register("sine", config=SineDataConfig)
class SineData(SyntheticData):
    """One input feature x; y = sin(x) + noise."""

    def __init__(self, low, high, noise_std, **common):
        self.low = low
        self.high = high
        self.noise_std = noise_std
        super().__init__(**common)

    def generate(self, num_examples, seed):
        x = random_numbers.uniform((num_examples, 1), seed, self.low, self.high)
        noise = random_numbers.normal((num_examples, 1), random_numbers.fold_in(seed, 1)) * np.float32(self.noise_std)
        return x, np.sin(x) + noise
