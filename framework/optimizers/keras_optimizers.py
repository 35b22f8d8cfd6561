"""Built-in optimizers: Keras's own, registered under short keys.

Each takes `learning_rate`, a `schedule` mapping (see framework.optimizers.schedules)
and Keras's options every optimizer has (clipping, gradient accumulation, EMA,
weight decay), besides its own settings. configs/optimizer/*.yaml hold the
values; the shared options live once in configs/optimizer/common/keras.yaml.
Keras applies the options inside `apply_gradients`, which both strategies call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import keras
import pydantic

from framework.registry import OPTIMIZERS, SCHEDULES, Resolved
from framework.registry.schema import ComponentConfig

PositiveFloat = Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]
UnitInterval = Annotated[float, pydantic.Field(ge=0, lt=1)]
Momentum = Annotated[float, pydantic.Field(ge=0, le=1)]
AtLeastTwo = Annotated[int, pydantic.Field(ge=2)]
PositiveInt = Annotated[int, pydantic.Field(ge=1)]
_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


class OptimizerConfig(ComponentConfig):
    """Attributes:
    learning_rate: Step size; a schedule starts from it.
    schedule: `{name: <schedule key>, ...}`: constant, exponential, cosine,
        piecewise, each with optional warmup_steps.
    clipnorm: Clips each variable's gradient to this L2 norm; null for none.
    clipvalue: Clips every gradient element to [-clipvalue, clipvalue]; null for none.
    global_clipnorm: Clips all gradients together to this global L2 norm; null for none.
    gradient_accumulation_steps: Averages the gradients of this many batches
        (at least 2) into one update; null updates every batch. The global
        step counts updates.
    use_ema: Keeps an exponential moving average of the weights; the saved
        model and summary.json hold the average (Keras's finalize_variable_values).
    ema_momentum: The average's decay per update, in [0, 1]; used with use_ema.
    ema_overwrite_frequency: With use_ema, also copies the average into the
        model every N updates; null only at the end of training.
    weight_decay: Decoupled weight decay per update, as a fraction of the
        learning rate; null for none.
    """

    learning_rate: PositiveFloat
    schedule: pydantic.SkipValidation[Resolved]
    clipnorm: PositiveFloat | None
    clipvalue: PositiveFloat | None
    global_clipnorm: PositiveFloat | None
    gradient_accumulation_steps: AtLeastTwo | None
    use_ema: bool
    ema_momentum: Momentum
    ema_overwrite_frequency: PositiveInt | None
    weight_decay: Annotated[float, pydantic.Field(ge=0)] | None

    @pydantic.model_validator(mode="after")
    def _one_kind_of_clipping(self):
        chosen = [name for name in _CLIPPING if getattr(self, name) is not None]
        if len(chosen) > 1:
            # Keras accepts only one; say which to drop instead of its bare ValueError at build time.
            raise ValueError(
                f"only one of {', '.join(_CLIPPING)} can be set, got {' and '.join(chosen)}; "
                f"set the others to null (e.g. optimizer.{chosen[1]}=null)"
            )
        return self

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
    weight_decay: Decoupled weight decay per update, as a fraction of the
        learning rate; AdamW needs a number.
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
