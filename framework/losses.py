"""Built-in losses: Keras's own, registered under short keys."""

from typing import Annotated

import keras
import pydantic

from framework.config.schema import ComponentConfig
from framework.registry import LOSSES


class NoArguments(ComponentConfig):
    """The loss takes no arguments."""


class HuberConfig(ComponentConfig):
    """Attributes:
    delta: Where the loss turns from quadratic to linear.
    """

    delta: Annotated[float, pydantic.Field(gt=0)]


# The tutorial's loss: mean of the squared error (L2).
LOSSES.register("mse", config=NoArguments)(keras.losses.MeanSquaredError)
LOSSES.register("mae", config=NoArguments)(keras.losses.MeanAbsoluteError)
LOSSES.register("huber", config=HuberConfig)(keras.losses.Huber)
