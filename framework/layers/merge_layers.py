"""Keras's merge layers, by key, for graph models: a spec names the layers whose outputs it combines.

    {name: add, inputs: [h, shortcut]}
    {name: concatenate, inputs: [a, b], axis: -1}

They live in MERGE_LAYERS rather than LAYERS because a stack of layers
passes each layer one input; model=graph gives them several.
"""

import keras
from keras.src.utils.naming import to_snake_case

from framework.registry import MERGE_LAYERS

MERGE_CLASSES = (
    keras.layers.Add,
    keras.layers.Average,
    keras.layers.Concatenate,
    keras.layers.Dot,
    keras.layers.Maximum,
    keras.layers.Minimum,
    keras.layers.Multiply,
    keras.layers.Subtract,
)

for _cls in MERGE_CLASSES:
    MERGE_LAYERS.register(to_snake_case(_cls.__name__))(_cls)
