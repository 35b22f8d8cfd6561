"""The tutorial's data: y = x * true_w + true_b + N(0, noise_std) noise."""

import types
from typing import Annotated

import numpy as np
import pydantic

from framework.data import random_numbers
from framework.data.synthetic import SyntheticData, SyntheticDataConfig
from framework.registry import DATA


class LinearDataConfig(SyntheticDataConfig):
    """Attributes:
    num_features: Input features; every feature gets the weight true_w.
    true_w: The weight the model should recover (3.0 in the tutorial).
    true_b: The bias the model should recover (2.0 in the tutorial).
    noise_std: Standard deviation of the Gaussian noise added to y.
    """

    num_features: Annotated[int, pydantic.Field(ge=1)]
    true_w: float
    true_b: float
    noise_std: Annotated[float, pydantic.Field(ge=0)]


@DATA.register("linear", config=LinearDataConfig)
class LinearRegressionData(SyntheticData):
    """x ~ N(0, 1) per feature; y = sum(x * true_w) + true_b + noise."""

    def __init__(self, num_features, true_w, true_b, noise_std, **common):
        self.num_features = num_features
        self.true_w = true_w
        self.true_b = true_b
        self.noise_std = noise_std
        # The plots draw these as the values the tutorial's W and b should reach.
        self.true_variables = types.MappingProxyType({"W": true_w, "b": true_b})
        super().__init__(**common)

    def generate(self, num_examples, seed):
        x = random_numbers.normal((num_examples, self.num_features), seed)
        noise = random_numbers.normal((num_examples, 1), random_numbers.fold_in(seed, 1)) * np.float32(self.noise_std)
        y = np.sum(x * np.float32(self.true_w), axis=1, keepdims=True) + np.float32(self.true_b) + noise
        return x, y
