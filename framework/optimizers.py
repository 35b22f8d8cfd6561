"""Built-in optimizers: Keras's own, registered under short keys."""

from typing import Annotated

import keras
import pydantic

from framework.registry import OPTIMIZERS
from framework.validation import ComponentConfig

PositiveFloat = Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]
UnitInterval = Annotated[float, pydantic.Field(ge=0, lt=1)]


class SGDConfig(ComponentConfig):
    """Attributes:
    learning_rate: Step size (the tutorial uses 0.1).
    momentum: Momentum factor in [0, 1); 0 is plain gradient descent.
    nesterov: Uses Nesterov momentum.
    """

    learning_rate: PositiveFloat
    momentum: UnitInterval
    nesterov: bool


class AdamConfig(ComponentConfig):
    """Attributes:
    learning_rate: Step size.
    beta_1: Decay of the first-moment estimate, in [0, 1).
    beta_2: Decay of the second-moment estimate, in [0, 1).
    epsilon: Added to the denominator for numerical stability.
    """

    learning_rate: PositiveFloat
    beta_1: UnitInterval
    beta_2: UnitInterval
    epsilon: PositiveFloat


OPTIMIZERS.register("sgd", config=SGDConfig)(keras.optimizers.SGD)
OPTIMIZERS.register("adam", config=AdamConfig)(keras.optimizers.Adam)
