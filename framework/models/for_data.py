"""Building the configured model for the data it will see.

Models whose layers are connected when they are built (model=graph,
model=application) need the shape of one input example up front; their
factories declare an `input_shape` argument and are given the data's. Other
models are built by calling them on the first batch.
"""

from __future__ import annotations

import inspect

import keras

from framework.registry import Resolved


def build_model(model: Resolved, input_shape: tuple[int, ...]) -> keras.Model:
    """Builds the resolved model config; a factory taking `input_shape` gets the data's (one example, no batch axis)."""
    takes_shape = "input_shape" in inspect.signature(model.entry.factory).parameters
    return model.build(**({"input_shape": tuple(input_shape)} if takes_shape else {}))
