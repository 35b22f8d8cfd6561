"""The conformance kit: built-in layers pass it, and it catches broken layers."""

import importlib.util

import keras
import pytest

from framework.layers import MyDenseLayer
from framework.registry import LAYERS
from framework.testing import check_layer


class ForgetfulLayer(keras.layers.Layer):
    """Leaves `scale` out of its get_config."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return super().get_config()


class MisreportedShapeLayer(keras.layers.Layer):
    """Outputs 2 features but claims 3."""

    def call(self, inputs):
        return keras.ops.concatenate([inputs[..., :1], inputs[..., :1]], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)


class FrozenGradientLayer(keras.layers.Layer):
    """Has a weight, but stops its gradient, so training never changes it."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="kernel")

    def call(self, inputs):
        return keras.ops.matmul(inputs, keras.ops.stop_gradient(self.kernel))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2)


class TensorFlowOpsLayer(keras.layers.Layer):
    """Squares its inputs with a TensorFlow op, not keras.ops: it runs on TensorFlow alone."""

    def call(self, inputs):
        import tensorflow as tf

        return tf.math.square(inputs)


@pytest.fixture
def cleanup_keys():
    keys = set(LAYERS.keys())
    yield
    for key in set(LAYERS.keys()) - keys:
        LAYERS.unregister(key)


def test_an_incomplete_get_config_is_caught(cleanup_keys):
    with pytest.raises(AssertionError, match=r"ForgetfulLayer.get_config\(\) lacks scale: it must return every __init__ argument"):
        check_layer(ForgetfulLayer, {"scale": 2.0})


def test_a_misreported_output_shape_is_caught(cleanup_keys):
    with pytest.raises(AssertionError, match=r"MisreportedShapeLayer on inputs of shape \(2, 1\): outputs shape \(2, 2\) but its symbolic call \(compute_output_shape\) says \(2, 3\)"):
        check_layer(MisreportedShapeLayer, {})


def test_an_unexpected_output_shape_is_caught(cleanup_keys):
    with pytest.raises(AssertionError, match=r"MyDenseLayer on inputs of shape \(2, 1\): outputs shape \(2, 3\), expected \(2, 4\)"):
        check_layer(MyDenseLayer, {"num_outputs": 3}, output_shape=lambda shape: (*shape[:-1], 4))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # what this layer does on purpose
def test_a_layer_whose_weights_never_train_is_caught(tmp_path, cleanup_keys):
    with pytest.raises(AssertionError, match=r"FrozenGradientLayer trained with strategy=tape: training did not change the layer's weights \['sequential/frozen_gradient_layer/kernel'\]"):
        check_layer(FrozenGradientLayer, {}, strategies=["tape"], fresh_process=False, workdir=tmp_path)
    assert "frozen_gradient_layer" in LAYERS  # registered for the check, as a plugin would be


@pytest.mark.slow
@pytest.mark.parametrize(
    "layer_cls, init_kwargs, units",
    [
        (MyDenseLayer, {"num_outputs": 3, "use_bias": True}, 3),
        (keras.layers.Dense, {"units": 4, "activation": "tanh"}, 4),
    ],
    ids=["my_dense", "dense"],
)
def test_built_in_layers_conform(tmp_path, layer_cls, init_kwargs, units):
    check_layer(layer_cls, init_kwargs, output_shape=lambda shape: (*shape[:-1], units), workdir=tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None or importlib.util.find_spec("tensorflow") is None,
                    reason="needs both backends installed")
def test_a_layer_that_runs_on_one_backend_only_is_caught(tmp_path, cleanup_keys):
    with pytest.raises(AssertionError, match=r"TensorFlowOpsLayer: the saved model did not reload in a fresh process on the jax backend"):
        check_layer(TensorFlowOpsLayer, {}, input_shapes=[(2, 3)], strategies=[], workdir=tmp_path)
