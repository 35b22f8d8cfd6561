"""Keras's own layers, registered so model stacks in configs can use them."""

import keras

from framework.registry import LAYERS

LAYERS.register("dense")(keras.layers.Dense)
LAYERS.register("activation")(keras.layers.Activation)
LAYERS.register("dropout")(keras.layers.Dropout)
LAYERS.register("layer_normalization")(keras.layers.LayerNormalization)
