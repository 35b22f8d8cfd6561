"""Tests every plugin should have: argument checks, the conformance kit, its configs compose."""

import pytest
from hydra import compose, initialize_config_module

from framework.config_sources import register_configs
from framework.testing import check_layer
from plugin_template import TemplateDense


def test_bad_units_are_rejected_with_the_value_received():
    with pytest.raises(ValueError, match=r"units: expected a positive integer. Received: units=0"):
        TemplateDense(units=0)


def test_shipped_experiment_selects_the_model_preset():
    register_configs()  # what `python -m framework.train` does first
    with initialize_config_module("framework.conf", version_base="1.3"):
        cfg = compose("train", overrides=["+experiment=template_sine"])
    assert cfg.model.layers[0].name == "template_dense"


@pytest.mark.slow
def test_conforms(tmp_path):
    check_layer(TemplateDense, {"units": 4}, workdir=tmp_path)
