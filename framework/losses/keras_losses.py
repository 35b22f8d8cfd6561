"""Built-in losses: every Keras loss class, by Keras's snake-case name.

`keras.losses.CategoricalCrossentropy` is `categorical_crossentropy`,
`MeanSquaredError` is `mean_squared_error` (also `mse`, the tutorial's L2
loss), `MeanAbsoluteError` is `mean_absolute_error` (also `mae`). Arguments
are the class's own (`from_logits`, `label_smoothing`, ...), their names
checked against its signature when the config is validated.
"""

from typing import Annotated

import keras
import pydantic
from keras.src.utils.naming import to_snake_case  # Keras's own class -> name rule

from framework.registry import LOSSES
from framework.registry.schema import ComponentConfig

# Loss classes a config cannot use: the base class, and the wrapper of a Python function.
EXCLUDED = ("Loss", "LossFunctionWrapper")
SHORT_KEYS = {"mse": keras.losses.MeanSquaredError, "mae": keras.losses.MeanAbsoluteError}


class HuberConfig(ComponentConfig):
    """Attributes:
    delta: Where the loss turns from quadratic to linear (Keras does not check it is positive).
    """

    delta: Annotated[float, pydantic.Field(gt=0)]


LOSSES.register("huber", config=HuberConfig)(keras.losses.Huber)
for _key, _cls in SHORT_KEYS.items():
    LOSSES.register(_key)(_cls)
for _name in dir(keras.losses):
    _cls = getattr(keras.losses, _name)
    if isinstance(_cls, type) and issubclass(_cls, keras.losses.Loss) and _cls.__name__ not in EXCLUDED:
        LOSSES.register(to_snake_case(_cls.__name__))(_cls)
