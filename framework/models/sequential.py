"""A stack of registered layers, each given as `{name: <LAYERS key>, **kwargs}`."""

from typing import Annotated, Any

import keras
import pydantic

from framework.config.schema import ComponentConfig
from framework.registry import LAYERS, MODELS


class SequentialModelConfig(ComponentConfig):
    """Attributes:
    layers: Layer specs applied in order; any key registered in LAYERS works.
    """

    layers: Annotated[list[dict[str, Any]], pydantic.Field(min_length=1)]


@MODELS.register("sequential", config=SequentialModelConfig)
def build_sequential_model(layers: list[dict[str, Any]]) -> keras.Model:
    return keras.Sequential(
        [LAYERS.build(spec, where=f"model.layers[{index}]") for index, spec in enumerate(layers)],
        name="sequential",
    )
