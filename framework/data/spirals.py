"""A synthetic classification task: points on interleaved spiral arms, one arm per class."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
import pydantic

from framework.data import random_numbers
from framework.data.synthetic import SyntheticData, SyntheticDataConfig
from framework.registry import DATA


class SpiralsDataConfig(SyntheticDataConfig):
    """Attributes:
    num_classes: Spiral arms, one per class; num_examples are dealt out to
        them in turn, so each class gets num_examples / num_classes points.
    turns: How many times each arm winds around the centre.
    noise: Standard deviation of the Gaussian noise added to each coordinate.
    """

    num_classes: Annotated[int, pydantic.Field(ge=2)]
    turns: Annotated[float, pydantic.Field(gt=0)]
    noise: Annotated[float, pydantic.Field(ge=0)]


@DATA.register("spirals", config=SpiralsDataConfig)
class SpiralsData(SyntheticData):
    """Float32 points [N, 2] within about the unit disc; int32 class ids [N]
    (example i is class i mod num_classes); `class_names` "0", "1", ..."""

    def __init__(self, num_classes: int, turns: float, noise: float, **common):
        self.class_names = tuple(str(k) for k in range(num_classes))
        self.turns = turns
        self.noise = noise
        super().__init__(**common)

    def generate(self, num_examples, seed):
        num_classes = len(self.class_names)
        labels = (np.arange(num_examples) % num_classes).astype(np.int32)
        # Along the arm: the radius grows with the angle, from the centre outwards.
        along = random_numbers.uniform((num_examples,), seed)
        angle = along * np.float32(self.turns * 2 * math.pi) + labels.astype(np.float32) * np.float32(2 * math.pi / num_classes)
        points = np.stack([along * np.cos(angle), along * np.sin(angle)], axis=1)
        points += random_numbers.normal(points.shape, random_numbers.fold_in(seed, 1)) * np.float32(self.noise)
        return points, labels
