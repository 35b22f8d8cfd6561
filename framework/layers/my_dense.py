"""The tutorial's custom layer: a kernel built from the input's last dimension."""

import keras

from framework.registry import LAYERS


@LAYERS.register("my_dense")
class MyDenseLayer(keras.layers.Layer):
    """`outputs = inputs @ kernel (+ bias)`, the kernel shaped [input features, num_outputs].

    Args:
        num_outputs: Size of the last output dimension.
        use_bias: Adds a learned bias; the tutorial's layer has none.
    """

    def __init__(self, num_outputs: int, use_bias: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_outputs, int) or isinstance(num_outputs, bool) or num_outputs < 1:
            raise ValueError(
                f"num_outputs: expected a positive integer. Received: num_outputs={num_outputs!r}"
            )
        self.num_outputs = num_outputs
        self.use_bias = bool(use_bias)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.num_outputs), initializer="glorot_uniform", name="kernel"
        )
        self.bias = (
            self.add_weight(shape=(self.num_outputs,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        outputs = keras.ops.matmul(inputs, self.kernel)
        return outputs if self.bias is None else outputs + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.num_outputs)

    def get_config(self):
        return {**super().get_config(), "num_outputs": self.num_outputs, "use_bias": self.use_bias}
