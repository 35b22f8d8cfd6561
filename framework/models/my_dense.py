"""A model made of the tutorial's MyDenseLayer."""

from typing import Annotated

import keras
import pydantic

from framework.layers.my_dense import MyDenseLayer
from framework.registry import MODELS
from framework.registry.schema import ComponentConfig


class MyDenseModelConfig(ComponentConfig):
    """Attributes:
    num_outputs: Output units of the MyDenseLayer (1 for regression targets).
    use_bias: Adds a learned bias to the layer (the tutorial's layer has none).
    """

    num_outputs: Annotated[int, pydantic.Field(ge=1)]
    use_bias: bool


@MODELS.register("my_dense", config=MyDenseModelConfig)
def build_my_dense_model(num_outputs: int, use_bias: bool) -> keras.Model:
    return keras.Sequential(
        [MyDenseLayer(num_outputs, use_bias=use_bias, name="my_dense_layer")], name="my_dense"
    )
