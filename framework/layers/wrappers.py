"""Keras's layer wrappers, configured with the wrapped layer as a nested spec:

    {name: bidirectional, layer: {name: lstm, units: 8}}
    {name: time_distributed, layer: {name: dense, units: 4}}

The factories build Keras's own wrapper classes, so a saved model holds
nothing but Keras layers. `layer_arguments` names the arguments holding
nested specs; `framework.layers.specs.resolve_layer` validates those with the
rest of the config, before TensorFlow does any work.
"""

from __future__ import annotations

from typing import Any, Literal

import keras

from framework.registry import LAYERS


@LAYERS.register("bidirectional")
def bidirectional(
    layer: dict[str, Any],
    merge_mode: Literal["sum", "mul", "concat", "ave"] | None = "concat",
    backward_layer: dict[str, Any] | None = None,
    trainable: bool = True,
    name: str | None = None,
) -> keras.layers.Bidirectional:
    """keras.layers.Bidirectional around the recurrent layer `layer` (a spec, e.g. {name: lstm, units: 8}).

    Args:
        layer: The recurrent layer run forwards (and, copied, backwards).
        merge_mode: How the two directions' outputs combine: sum, mul, concat, ave, or null (a list of both).
        backward_layer: Another recurrent layer spec for the backward direction; null copies `layer`.
        trainable: false freezes both directions.
        name: The layer's name (a graph model passes a spec's id).
    """
    backward = None if backward_layer is None else LAYERS.build(backward_layer, where="backward_layer")
    return keras.layers.Bidirectional(
        LAYERS.build(layer, where="layer"), merge_mode=merge_mode, backward_layer=backward, trainable=trainable,
        **({"name": name} if name else {}),
    )


@LAYERS.register("time_distributed")
def time_distributed(layer: dict[str, Any], trainable: bool = True, name: str | None = None) -> keras.layers.TimeDistributed:
    """keras.layers.TimeDistributed: `layer` (a spec) applied to every step of a sequence.

    Args:
        layer: The layer applied to each step, e.g. {name: dense, units: 4}.
        trainable: false freezes it.
        name: The layer's name (a graph model passes a spec's id).
    """
    return keras.layers.TimeDistributed(LAYERS.build(layer, where="layer"), trainable=trainable, **({"name": name} if name else {}))


bidirectional.layer_arguments = ("layer", "backward_layer")
time_distributed.layer_arguments = ("layer",)
