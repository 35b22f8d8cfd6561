"""Keras's own layers, registered by key so model stacks in configs can use them.

Every public class of `keras.layers` that is a `keras.layers.Layer` is
registered under Keras's own snake-case name of the class (`Conv2D` ->
`conv2d`, `MaxPooling2D` -> `max_pooling2d`, `LSTM` -> `lstm`), the name
Keras gives such a layer in a model, except those listed in `EXCLUDED`. Keras's
aliases (`MaxPool2D`, `Convolution2D`) are the same classes, so each class has
one key.
"""

import keras
from keras.src.utils.naming import to_snake_case

from framework.registry import LAYERS

# Classes a config cannot use in a stack of layers, each with the reason.
EXCLUDED: dict[str, str] = {
    # Registered with a nested layer spec by framework/layers/wrappers.py.
    "Bidirectional": "wraps another layer (layers/wrappers.py)",
    "TimeDistributed": "wraps another layer (layers/wrappers.py)",
    # Their arguments are layers, cells or callables, which a config cannot hold.
    "Wrapper": "base class of wrappers",
    "SpectralNormalization": "wraps another layer",
    "RNN": "takes a cell object",
    "StackedRNNCells": "takes cell objects",
    "Pipeline": "takes a list of layers",
    "Lambda": "takes a Python function",
    # Cells are steps of an RNN, called with states, not layers of a stack.
    "GRUCell": "an RNN cell, not a sequence layer (use gru)",
    "LSTMCell": "an RNN cell, not a sequence layer (use lstm)",
    "SimpleRNNCell": "an RNN cell, not a sequence layer (use simple_rnn)",
    # Merge and attention layers take several inputs; a stack passes one. Merge
    # layers are registered in MERGE_LAYERS for graph models (layers/merge_layers.py).
    "Add": "merges several inputs",
    "Average": "merges several inputs",
    "Concatenate": "merges several inputs",
    "Dot": "merges several inputs",
    "Maximum": "merges several inputs",
    "Minimum": "merges several inputs",
    "Multiply": "merges several inputs",
    "Subtract": "merges several inputs",
    "Attention": "takes query and value inputs",
    "AdditiveAttention": "takes query and value inputs",
    "MultiHeadAttention": "takes query and value inputs",
    "GroupedQueryAttention": "takes query and value inputs",
    # The model's input comes from the data; these wrap other frameworks or files.
    "Layer": "the base class",
    "InputLayer": "the model is built from the data's shape",
    "FlaxLayer": "wraps a JAX/Flax module",
    "JaxLayer": "wraps a JAX function",
    "TorchModuleWrapper": "wraps a PyTorch module",
    "TFSMLayer": "loads a SavedModel from a path",
    # Preprocessing that needs a vocabulary or adapt() on text/string data,
    # or bounding-box dictionaries, none of which a data source here gives.
    "StringLookup": "needs a vocabulary or adapt()",
    "IntegerLookup": "needs a vocabulary or adapt()",
    "TextVectorization": "needs a vocabulary or adapt() on text",
    "MaxNumBoundingBoxes": "works on bounding-box dictionaries",
}


def _public_layer_classes() -> dict[str, type]:
    classes = {}
    for attribute in dir(keras.layers):
        cls = getattr(keras.layers, attribute)
        if isinstance(cls, type) and issubclass(cls, keras.layers.Layer) and cls.__name__ not in EXCLUDED:
            classes[to_snake_case(cls.__name__)] = cls
    return classes


for _key, _cls in sorted(_public_layer_classes().items()):
    LAYERS.register(_key)(_cls)
