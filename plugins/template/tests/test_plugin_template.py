"""Tests every plugin should have: argument checks, the conformance kit, its configs compose."""

import pytest
from plugin_template import TemplateDense

from framework.config import compose
from framework.testing import check_layer


def test_bad_units_are_rejected_with_the_value_received():
    with pytest.raises(ValueError, match=r"units: expected a positive integer. Received: units=0"):
        TemplateDense(units=0)


def test_shipped_experiment_selects_the_model_preset():
    cfg = compose(["+experiment=template_sine"])
    assert cfg.model.layers[0].name == "template_dense"


@pytest.mark.slow
def test_conforms(tmp_path):
    check_layer(TemplateDense, {"units": 4}, workdir=tmp_path)
