"""Built-in layers; importing this package registers them in LAYERS."""

from framework.layers import keras_layers
from framework.layers.my_dense import MyDenseLayer

__all__ = ["MyDenseLayer", "keras_layers"]
