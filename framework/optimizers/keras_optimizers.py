"""Built-in optimizers: Keras's own, registered under short keys.

Each takes `learning_rate` and a `schedule` mapping (see framework.optimizers.schedules),
besides its own settings; configs/optimizer/*.yaml hold the values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import keras
import pydantic

from framework.config.schema import ComponentConfig
from framework.registry import OPTIMIZERS, SCHEDULES, Resolved

PositiveFloat = Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]
UnitInterval = Annotated[float, pydantic.Field(ge=0, lt=1)]


class OptimizerConfig(ComponentConfig):
    """Attributes:
    learning_rate: Step size; a schedule starts from it.
    schedule: `{name: <schedule key>, ...}`: constant, exponential, cosine,
        piecewise, each with optional warmup_steps.
    """

    learning_rate: PositiveFloat
    schedule: pydantic.SkipValidation[Resolved]

    @pydantic.field_validator("schedule", mode="before")
    @classmethod
    def _resolve_schedule(cls, spec: Any) -> Resolved:
        # Looked up and checked with the rest of the config, before any training starts.
        return SCHEDULES.resolve(spec, where="optimizer.schedule")


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


def _builder(optimizer_class: type[keras.optimizers.Optimizer]) -> Callable[..., keras.optimizers.Optimizer]:
    """The factory the registry calls: the Keras optimizer, its learning rate a schedule from the config."""

    def build(learning_rate: float, schedule: Resolved, **options: Any) -> keras.optimizers.Optimizer:
        return optimizer_class(learning_rate=schedule.build(learning_rate=learning_rate), **options)

    build.__name__ = build.__qualname__ = optimizer_class.__name__  # how errors and listings name it
    return build


# Registry key -> the Keras optimizer and the config model validating its arguments.
KERAS_OPTIMIZERS: dict[str, tuple[type[keras.optimizers.Optimizer], type[OptimizerConfig]]] = {
    "sgd": (keras.optimizers.SGD, SGDConfig),
    "adam": (keras.optimizers.Adam, AdamConfig),
    "adamw": (keras.optimizers.AdamW, AdamWConfig),
    "rmsprop": (keras.optimizers.RMSprop, RMSpropConfig),
}

for _key, (_optimizer_class, _config) in KERAS_OPTIMIZERS.items():
    OPTIMIZERS.register(_key, config=_config)(_builder(_optimizer_class))
