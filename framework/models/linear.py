"""The tutorial's linear model, f(x) = x * W + b."""

from typing import Annotated

import keras
import pydantic

from framework.registry import MODELS
from framework.registry.schema import ComponentConfig


class LinearModelConfig(ComponentConfig):
    """Attributes:
    initial_w: Starting value of every entry of W (the tutorial uses 5.0).
    initial_b: Starting value of b (the tutorial uses 0.0).
    """

    initial_w: Annotated[float, pydantic.Field(allow_inf_nan=False)]
    initial_b: Annotated[float, pydantic.Field(allow_inf_nan=False)]


@MODELS.register("linear", config=LinearModelConfig)
@keras.saving.register_keras_serializable(package="framework")
class LinearModel(keras.Model):
    """`y = sum(x * W, axis=-1) + b`, with variables named `W` and `b`.

    With one input feature W is a scalar, exactly as in the tutorial; with F
    features W has shape [F].
    """

    def __init__(self, initial_w: float, initial_b: float, **kwargs):
        kwargs.setdefault("name", "linear")
        super().__init__(**kwargs)
        self.initial_w = float(initial_w)
        self.initial_b = float(initial_b)

    def build(self, input_shape):
        features = input_shape[-1]
        self.W = self.add_weight(
            shape=() if features == 1 else (features,),
            initializer=keras.initializers.Constant(self.initial_w),
            name="W",
        )
        self.b = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_b), name="b"
        )

    def call(self, inputs):
        inputs = keras.ops.convert_to_tensor(inputs)  # a NumPy batch times a traced W would be NumPy's product
        if not self.W.shape:  # the tutorial's scalar W: no reduction over a single feature
            return inputs * self.W + self.b
        return keras.ops.sum(inputs * self.W, axis=-1, keepdims=True) + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_w": self.initial_w,
            "initial_b": self.initial_b,
        }
