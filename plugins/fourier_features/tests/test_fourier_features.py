"""The fourier_features layer: argument checks, conformance, shipped configs, and the fit it buys."""

import pytest
from fourier_features import FourierFeatures

from framework.config import compose
from framework.testing import check_layer


def _compose(*overrides: str):
    return compose(overrides)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0}, r"units: expected a positive integer. Received: units=0"),
        ({"units": 2.5}, r"units: expected a positive integer. Received: units=2.5"),
        ({"units": 4, "scale": -1.0}, r"scale: expected a positive finite number. Received: scale=-1.0"),
        ({"units": 4, "trainable_frequencies": "yes"}, r"trainable_frequencies: expected true or false. Received: trainable_frequencies='yes'"),
    ],
)
def test_bad_arguments_are_rejected_with_the_value_received(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FourierFeatures(**kwargs)


def test_shipped_experiment_uses_the_layer_on_sine_data():
    cfg = _compose("+experiment=fourier_sine")
    assert cfg.model.layers[0].name == "fourier_features"
    assert cfg.data.name == "sine" and cfg.optimizer.name == "adam"


@pytest.mark.slow
def test_conforms(tmp_path):
    check_layer(FourierFeatures, {"units": 8, "scale": 2.0}, output_shape=lambda shape: (*shape[:-1], 8), workdir=tmp_path)


@pytest.mark.slow
def test_fits_sine_far_better_than_the_linear_model(tmp_path):
    from framework.run import run

    short = ["epochs=15", "data.num_examples=400", "logger=none"]
    fourier = run(_compose("+experiment=fourier_sine", *short), tmp_path / "fourier")
    linear = run(_compose("+experiment=fourier_sine", "model=linear", *short), tmp_path / "linear")
    assert fourier.metrics["val_loss"] < linear.metrics["val_loss"] / 5
