"""model=graph: a Keras functional model from layer specs that name their inputs.

    model:
      name: graph
      layers:
        - {name: dense, units: 16, activation: relu, id: h}
        - {name: dense, units: 16, activation: relu, id: h2}   # takes h, the spec before it
        - {name: add, inputs: [h, h2]}                         # a residual connection
        - {name: dense, units: 1}

A residual block, several branches merged, a Bidirectional LSTM: any layer of
LAYERS, the merge layers of MERGE_LAYERS (add, concatenate, multiply,
average, ...) and the wrappers with nested specs. The structure is checked
when the config is validated (framework.models.graph_plan), each spec's layer
and arguments too; shapes are checked as the model is built on the data's
input shape, before training, each mismatch named by its spec. Like every
config, no callables: there is no Lambda layer.
"""

from __future__ import annotations

from typing import Annotated, Any

import keras
import pydantic

from framework.errors import ConfigError, UnknownComponentError, raise_together
from framework.layers.specs import resolve_layer
from framework.models.graph_plan import INPUT, GraphNode, plan_graph
from framework.registry import MERGE_LAYERS, MODELS, Resolved
from framework.registry.schema import ComponentConfig


class GraphModelConfig(ComponentConfig):
    """Attributes:
    layers: Layer specs, each `{name: <layer or merge layer key>, ...arguments}`,
        optionally with `id` (the layer's name, by which other specs take its
        output, and freeze and init_from find it) and `inputs` (the ids whose
        outputs it takes; `input` is the model's input; a merge layer takes two
        or more). A spec without inputs takes the output of the spec before it.
        The last spec's output is the model's.
    """

    layers: Annotated[list[dict[str, Any]], pydantic.Field(min_length=1)]

    @pydantic.field_validator("layers")
    @classmethod
    def _check_graph(cls, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nodes = plan_graph(layers, set(MERGE_LAYERS.keys()))
        problems = []
        for node in sorted(nodes, key=lambda node: node.index):
            try:
                _resolve(node)
            except ConfigError as error:  # a ConfigError passes through pydantic unchanged
                problems.append(error)
        raise_together(problems)
        return layers


@MODELS.register("graph", config=GraphModelConfig)
def build_graph_model(layers: list[dict[str, Any]], input_shape: tuple[int, ...]) -> keras.Model:
    """The functional model of `layers` on inputs of `input_shape` (one example; the run passes the data's)."""
    outputs = {INPUT: keras.Input(shape=input_shape, name=INPUT)}
    nodes = plan_graph(layers, set(MERGE_LAYERS.keys()))
    for node in nodes:
        resolved = _resolve(node)
        layer = resolved.build(**({"name": node.id} if node.id else {}))
        taken = [outputs[name] for name in node.inputs]
        try:
            outputs[node.ref] = layer(taken if resolved.entry.key in MERGE_LAYERS else taken[0])
        except (ValueError, TypeError) as error:
            shapes = ", ".join(f"{name} {tuple(outputs[name].shape)}" for name in node.inputs)
            raise ConfigError(
                f"{node.where}: layer '{resolved.key}' cannot take the output{'s' if len(taken) > 1 else ''} of "
                f"{shapes} (the batch axis first): {_first_line(error)} Change the layers' sizes, or its inputs."
            ) from error
    last = max(nodes, key=lambda node: node.index)
    return keras.Model(outputs[INPUT], outputs[last.ref], name="graph")


def _resolve(node: GraphNode) -> Resolved:
    key = node.spec.get("name")
    if isinstance(key, str) and key in MERGE_LAYERS:
        return MERGE_LAYERS.resolve(node.spec, node.where)
    try:
        return resolve_layer(node.spec, node.where)
    except UnknownComponentError as error:
        raise UnknownComponentError(f"{error} Merge layers (several inputs): {', '.join(MERGE_LAYERS.keys())}.") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if line.endswith(".") else f"{line}."
