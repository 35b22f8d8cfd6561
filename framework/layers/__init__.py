"""Built-in layers; importing this package registers them in LAYERS (and MERGE_LAYERS)."""

from framework.layers import keras_layers, merge_layers, wrappers
from framework.layers.application_preprocessing import ApplicationPreprocessing
from framework.layers.my_dense import MyDenseLayer
from framework.layers.specs import resolve_layer

__all__ = ["ApplicationPreprocessing", "MyDenseLayer", "keras_layers", "merge_layers", "resolve_layer", "wrappers"]
