"""Learned Fourier features: `sin(inputs @ frequencies + phases)`."""

import math

import keras

from framework.registry import LAYERS


@LAYERS.register("fourier_features")
class FourierFeatures(keras.layers.Layer):
    """Maps inputs to `units` sinusoids of learned frequency and phase.

    Random Fourier features (Rahimi and Recht, 2007) whose frequencies and
    phases keep training: a dense layer on top fits smooth, periodic targets
    such as `sin(x)` that a linear model cannot.

    Args:
        units: Number of sinusoids, the size of the last output dimension.
        scale: Standard deviation of the initial frequencies; larger values
            start with finer detail.
        trainable_frequencies: Whether frequencies and phases keep training
            (False gives classic fixed random Fourier features).
    """

    def __init__(self, units: int, scale: float = 1.0, trainable_frequencies: bool = True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units: expected a positive integer. Received: units={units!r}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale < math.inf:
            raise ValueError(f"scale: expected a positive finite number. Received: scale={scale!r}")
        if not isinstance(trainable_frequencies, bool):
            raise ValueError(
                f"trainable_frequencies: expected true or false. Received: trainable_frequencies={trainable_frequencies!r}"
            )
        self.units = units
        self.scale = float(scale)
        self.trainable_frequencies = trainable_frequencies

    def build(self, input_shape):
        self.frequencies = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=keras.initializers.RandomNormal(stddev=self.scale),
            trainable=self.trainable_frequencies,
            name="frequencies",
        )
        self.phases = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.RandomUniform(0.0, 2 * math.pi),
            trainable=self.trainable_frequencies,
            name="phases",
        )

    def call(self, inputs):
        return keras.ops.sin(keras.ops.matmul(inputs, self.frequencies) + self.phases)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "scale": self.scale,
            "trainable_frequencies": self.trainable_frequencies,
        }
