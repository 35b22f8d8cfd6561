"""A stack of registered layers, each given as `{name: <LAYERS key>, **kwargs}`."""

from typing import Annotated, Any

import keras
import pydantic

from framework.errors import ConfigError, raise_together
from framework.layers.specs import resolve_layer
from framework.registry import LAYERS, MERGE_LAYERS, MODELS
from framework.registry.schema import ComponentConfig


class SequentialModelConfig(ComponentConfig):
    """Attributes:
    layers: Layer specs applied in order; any key registered in LAYERS works.
        Each is resolved (key and argument names checked) when the config is
        validated, so a bad layer stops the run before TensorFlow starts.
    """

    layers: Annotated[list[dict[str, Any]], pydantic.Field(min_length=1)]

    @pydantic.field_validator("layers")
    @classmethod
    def _resolve_every_layer(cls, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        problems = []
        for index, spec in enumerate(layers):
            try:
                _refuse_merge_layer(spec, _where(index))
                resolve_layer(spec, where=_where(index))
            except ConfigError as error:  # a ConfigError passes through pydantic unchanged
                problems.append(error)
        raise_together(problems)
        return layers


@MODELS.register("sequential", config=SequentialModelConfig)
def build_sequential_model(layers: list[dict[str, Any]]) -> keras.Model:
    return keras.Sequential(
        [LAYERS.build(spec, where=_where(index)) for index, spec in enumerate(layers)],
        name="sequential",
    )


def _refuse_merge_layer(spec: Any, where: str) -> None:
    key = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(key, str) and key in MERGE_LAYERS and key not in LAYERS:
        raise ConfigError(
            f"{where}.name: '{key}' merges several inputs, but a stack of layers gives each layer one. "
            f"Use model=graph, where a spec names the layers it takes: {{name: {key}, inputs: [a, b]}}."
        )


def _where(index: int) -> str:
    return f"model.layers[{index}]"
