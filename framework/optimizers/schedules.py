"""Learning-rate schedules from config: `optimizer.schedule: {name: <key>, ...}`.

Every schedule starts from the optimizer's `learning_rate`, so sweeping the
learning rate scales the whole schedule. Keras's own schedule classes do the
decaying; any schedule can begin with a linear warmup of `warmup_steps`
optimizer steps, after which it runs from its own step 0.
"""

from __future__ import annotations

from typing import Annotated, Any

import keras
import pydantic

from framework.registry import SCHEDULES
from framework.registry.schema import ComponentConfig

Steps = Annotated[int, pydantic.Field(ge=0)]
PositiveSteps = Annotated[int, pydantic.Field(ge=1)]
LearningRate = float | keras.optimizers.schedules.LearningRateSchedule


class ConstantConfig(ComponentConfig):
    """Attributes:
    warmup_steps: Steps of linear warmup from 0; 0 for none.
    """

    warmup_steps: Steps


class ExponentialConfig(ConstantConfig):
    """Attributes:
    decay_steps: Steps over which the rate is multiplied by decay_rate once.
    decay_rate: Factor per decay_steps, e.g. 0.5 halves it.
    staircase: Decays in whole steps of decay_steps instead of smoothly.
    """

    decay_steps: PositiveSteps
    decay_rate: Annotated[float, pydantic.Field(gt=0)]
    staircase: bool


class CosineConfig(ConstantConfig):
    """Attributes:
    decay_steps: Steps from the full rate down to alpha times it.
    alpha: The final rate as a fraction of the full rate, in [0, 1].
    """

    decay_steps: PositiveSteps
    alpha: Annotated[float, pydantic.Field(ge=0, le=1)]


class PiecewiseConfig(ConstantConfig):
    """Attributes:
    boundaries: Increasing steps at which the rate changes.
    factors: The rate before the first boundary, between each pair, and after
        the last, as multiples of learning_rate; one more than boundaries.
    """

    boundaries: list[PositiveSteps]
    factors: list[Annotated[float, pydantic.Field(gt=0)]]

    @pydantic.model_validator(mode="after")
    def _factors_fit_boundaries(self):
        if len(self.factors) != len(self.boundaries) + 1:
            raise ValueError(
                f"factors needs one more entry than boundaries: got {len(self.factors)} factors "
                f"for {len(self.boundaries)} boundaries"
            )
        if any(later <= earlier for earlier, later in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"boundaries must increase strictly; got {self.boundaries}")
        return self


@SCHEDULES.register("constant", config=ConstantConfig)
def constant(learning_rate: float, warmup_steps: int) -> LearningRate:
    return _with_warmup(learning_rate, warmup_steps)


@SCHEDULES.register("exponential", config=ExponentialConfig)
def exponential(learning_rate: float, warmup_steps: int, **decay: Any) -> LearningRate:
    return _with_warmup(keras.optimizers.schedules.ExponentialDecay(learning_rate, **decay), warmup_steps)


@SCHEDULES.register("cosine", config=CosineConfig)
def cosine(learning_rate: float, warmup_steps: int, **decay: Any) -> LearningRate:
    return _with_warmup(keras.optimizers.schedules.CosineDecay(learning_rate, **decay), warmup_steps)


@SCHEDULES.register("piecewise", config=PiecewiseConfig)
def piecewise(learning_rate: float, warmup_steps: int, boundaries: list[int], factors: list[float]) -> LearningRate:
    values = [learning_rate * factor for factor in factors]
    return _with_warmup(keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values), warmup_steps)


@keras.saving.register_keras_serializable(package="framework")
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """Rises linearly from 0 at step 0 to the rate `after` starts with at
    `warmup_steps`, then follows `after`, counting its steps from there.

    Keras has warmup only inside CosineDecay; one class gives every schedule
    the same warmup.
    """

    def __init__(self, after: LearningRate, warmup_steps: int):
        self.after = after
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warmup_steps = keras.ops.cast(self.warmup_steps, "float32")
        peak = self._after(keras.ops.zeros((), "float32"))
        rising = peak * step / warmup_steps
        return keras.ops.where(step < warmup_steps, rising, self._after(step - warmup_steps))

    def _after(self, step):
        if isinstance(self.after, keras.optimizers.schedules.LearningRateSchedule):
            return keras.ops.cast(self.after(step), "float32")
        return keras.ops.convert_to_tensor(self.after, "float32")

    def get_config(self) -> dict[str, Any]:
        after = self.after
        if isinstance(after, keras.optimizers.schedules.LearningRateSchedule):
            after = keras.optimizers.schedules.serialize(after)
        return {"after": after, "warmup_steps": self.warmup_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LinearWarmup:
        after = config["after"]
        if isinstance(after, dict):
            after = keras.optimizers.schedules.deserialize(after)
        return cls(after, config["warmup_steps"])


def _with_warmup(after: LearningRate, warmup_steps: int) -> LearningRate:
    return LinearWarmup(after, warmup_steps) if warmup_steps else after
