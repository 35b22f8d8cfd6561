"""Built-in optimizers: Keras's own, registered under short keys.

Each takes `learning_rate` and a `schedule` mapping (see framework.schedules)
besides its own settings; configs/optimizer/*.yaml hold the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import keras
import pydantic

from framework.registry import OPTIMIZERS, SCHEDULES
from framework.schedules import build_schedule
from framework.validation import ComponentConfig

PositiveFloat = Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]
UnitInterval = Annotated[float, pydantic.Field(ge=0, lt=1)]


class OptimizerConfig(ComponentConfig):
    """Attributes:
    learning_rate: Step size; a schedule starts from it.
    schedule: `{name: <schedule key>, ...}`: constant, exponential, cosine,
        piecewise, each with optional warmup_steps.
    """

    learning_rate: PositiveFloat
    schedule: dict[str, Any]

    @pydantic.field_validator("schedule")
    @classmethod
    def _known_schedule(cls, spec: dict[str, Any]) -> dict[str, Any]:
        # Checked with the rest of the config, before any training starts.
        SCHEDULES.resolve(spec, where="optimizer.schedule")
        return spec


class SGDConfig(OptimizerConfig):
    """Attributes:
    momentum: Momentum factor in [0, 1); 0 is plain gradient descent.
    nesterov: Uses Nesterov momentum.
    """

    momentum: UnitInterval
    nesterov: bool


class AdamConfig(OptimizerConfig):
    """Attributes:
    beta_1: Decay of the first-moment estimate, in [0, 1).
    beta_2: Decay of the second-moment estimate, in [0, 1).
    epsilon: Added to the denominator for numerical stability.
    """

    beta_1: UnitInterval
    beta_2: UnitInterval
    epsilon: PositiveFloat


class AdamWConfig(AdamConfig):
    """Attributes:
    weight_decay: Decoupled weight decay per step, as a fraction of the learning rate.
    """

    weight_decay: Annotated[float, pydantic.Field(ge=0)]


class RMSpropConfig(OptimizerConfig):
    """Attributes:
    rho: Decay of the moving average of squared gradients, in [0, 1).
    momentum: Momentum factor in [0, 1).
    epsilon: Added to the denominator for numerical stability.
    centered: Normalizes by the gradients' estimated variance instead of their second moment.
    """

    rho: UnitInterval
    momentum: UnitInterval
    epsilon: PositiveFloat
    centered: bool


@OPTIMIZERS.register("sgd", config=SGDConfig)
def sgd(learning_rate: float, schedule: Mapping[str, Any], **options: Any) -> keras.optimizers.Optimizer:
    return keras.optimizers.SGD(learning_rate=build_schedule(learning_rate, schedule), **options)


@OPTIMIZERS.register("adam", config=AdamConfig)
def adam(learning_rate: float, schedule: Mapping[str, Any], **options: Any) -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(learning_rate=build_schedule(learning_rate, schedule), **options)


@OPTIMIZERS.register("adamw", config=AdamWConfig)
def adamw(learning_rate: float, schedule: Mapping[str, Any], **options: Any) -> keras.optimizers.Optimizer:
    return keras.optimizers.AdamW(learning_rate=build_schedule(learning_rate, schedule), **options)


@OPTIMIZERS.register("rmsprop", config=RMSpropConfig)
def rmsprop(learning_rate: float, schedule: Mapping[str, Any], **options: Any) -> keras.optimizers.Optimizer:
    return keras.optimizers.RMSprop(learning_rate=build_schedule(learning_rate, schedule), **options)
