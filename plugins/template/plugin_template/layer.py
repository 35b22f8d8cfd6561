"""The plugin's layer: replace it with your own."""

import keras

from framework.registry import LAYERS


@LAYERS.register("template_dense")  # the key configs use: {name: template_dense, units: 8}
class TemplateDense(keras.layers.Layer):
    """`inputs @ kernel + bias`.

    Args:
        units: Size of the last output dimension.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        # Validate every argument here, naming it and the value received.
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units: expected a positive integer. Received: units={units!r}")
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        # Every __init__ argument, so a saved model rebuilds the same layer.
        return {**super().get_config(), "units": self.units}
