"""The residual_dense layer: argument checks, conformance, shipped configs."""

import numpy as np
import pytest
from residual_block import ResidualDense

from framework.config import compose
from framework.testing import check_layer


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0}, r"units: expected a positive integer. Received: units=0"),
        ({"units": True}, r"units: expected a positive integer. Received: units=True"),
        ({"units": 4, "activation": "relux"}, r"activation: expected the name of a Keras activation such as 'relu' or 'tanh'. Received: activation='relux'"),
    ],
)
def test_bad_arguments_are_rejected_with_the_value_received(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResidualDense(**kwargs)


def test_starts_as_its_shortcut():
    inputs = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(ResidualDense(4)(inputs), inputs, atol=1e-6)  # identity shortcut
    assert ResidualDense(6)(inputs).shape == (3, 6)  # projected shortcut


def test_shipped_model_preset_stacks_blocks():
    cfg = compose(["+experiment=residual_sine"])
    assert [layer.name for layer in cfg.model.layers] == ["residual_dense", "residual_dense", "dense"]


@pytest.mark.slow
@pytest.mark.parametrize("units", [1, 4])  # identity and projected shortcut on the one-feature data
def test_conforms(tmp_path, units):
    check_layer(ResidualDense, {"units": units, "activation": "tanh"}, workdir=tmp_path)
