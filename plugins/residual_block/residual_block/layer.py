"""A two-layer dense block with a skip connection."""

import keras

from framework.registry import LAYERS


@LAYERS.register("residual_dense")
class ResidualDense(keras.layers.Layer):
    """`shortcut(inputs) + activation(inputs @ W1 + b1) @ W2 + b2`.

    The shortcut is the identity when the inputs already have `units`
    features, else a learned projection, so blocks stack at any width and a
    deep stack still passes gradients straight through.

    Args:
        units: Size of the last output dimension (and of the hidden layer).
        activation: Name of the Keras activation between the two dense maps.
    """

    def __init__(self, units: int, activation: str = "relu", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units: expected a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activation
        self.activation_fn = _activation_named(activation)

    def build(self, input_shape):
        features = input_shape[-1]
        self.hidden_kernel = self.add_weight(shape=(features, self.units), initializer="glorot_uniform", name="hidden_kernel")
        self.hidden_bias = self.add_weight(shape=(self.units,), initializer="zeros", name="hidden_bias")
        # Zero-initialised: the block starts as its shortcut and learns a correction.
        self.output_kernel = self.add_weight(shape=(self.units, self.units), initializer="zeros", name="output_kernel")
        self.output_bias = self.add_weight(shape=(self.units,), initializer="zeros", name="output_bias")
        self.projection = (
            None
            if features == self.units
            else self.add_weight(shape=(features, self.units), initializer="glorot_uniform", name="projection")
        )

    def call(self, inputs):
        hidden = self.activation_fn(keras.ops.matmul(inputs, self.hidden_kernel) + self.hidden_bias)
        shortcut = inputs if self.projection is None else keras.ops.matmul(inputs, self.projection)
        return shortcut + keras.ops.matmul(hidden, self.output_kernel) + self.output_bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation}


def _activation_named(name: str):
    # Only names: a config holds values, and get_config must return what it was given.
    problem = f"activation: expected the name of a Keras activation such as 'relu' or 'tanh'. Received: activation={name!r}"
    if not isinstance(name, str):
        raise ValueError(problem)
    try:
        return keras.activations.get(name)
    except ValueError:
        raise ValueError(problem) from None
