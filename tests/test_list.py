"""`python -m framework.list`: components by kind, their origin and their fields."""

import re

import pytest
from helpers.plugins import install_distribution, layer_module

from framework.list import main


def listing(capsys, *arguments: str) -> str:
    main(list(arguments))
    return capsys.readouterr().out


def test_every_kind_is_listed_with_origin_and_fields(capsys):
    out = listing(capsys)
    for kind in ("layer", "model", "loss", "data", "strategy", "optimizer", "logger"):
        assert re.search(rf"^{kind} \(\d+\)$", out, re.MULTILINE), kind
    assert re.search(r"^  my_dense +built-in\n      num_outputs \(required\), use_bias=False$", out, re.MULTILINE)


def test_config_file_defaults_fill_in_what_the_config_model_requires(capsys):
    out = listing(capsys, "model")
    assert out.startswith("model (")
    assert "layer (" not in out
    assert re.search(
        r"^  linear +built-in\n      initial_w=5.0, initial_b=0.0\n      defaults from configs/model/linear.yaml$", out, re.MULTILINE
    )


def test_schedules_are_listed_with_their_config_file_defaults(capsys):
    out = listing(capsys, "schedule")
    assert out.startswith("schedule (4)")
    assert re.search(r"^  cosine +built-in\n      warmup_steps=0, decay_steps=1000, alpha=0.0\n      defaults from configs/optimizer/schedule/cosine.yaml$", out, re.MULTILINE)


def test_hydra_defaults_lists_are_not_shown_as_fields(capsys):
    out = listing(capsys, "optimizer")
    assert "defaults=" not in out
    assert "@_here_" not in out  # the shared options file's values are shown instead
    sgd = re.search(r"^  sgd +built-in\n((?:      .*\n)+)", out, re.MULTILINE).group(1)
    assert " ".join(sgd.split()) == (
        "learning_rate=0.1, schedule='constant', clipnorm=None, clipvalue=None, global_clipnorm=None, "
        "gradient_accumulation_steps=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, "
        "weight_decay=None, momentum=0.0, nesterov=False defaults from configs/optimizer/sgd.yaml"
    )


def test_signature_defaults_are_shown_for_components_without_a_config_model(capsys):
    out = listing(capsys, "layer")
    assert re.search(r"^  dense +built-in\n      units \(required\), activation=None, use_bias=True,", out, re.MULTILINE)


def test_an_unknown_kind_is_an_error_listing_the_kinds(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["layers"])
    assert raised.value.code == 2
    assert (
        "argument kind: invalid choice: 'layers' (choose from 'layer', 'merge', 'model', 'loss', 'data', 'strategy', 'optimizer', 'schedule', 'logger', 'distribution', 'metric', 'callback', 'pruner')"
        in capsys.readouterr().err
    )


def test_plugin_components_show_distribution_version_and_config_defaults(capsys, site):
    install_distribution(
        site,
        "fake-listed",
        {
            "fake_listed/__init__.py": layer_module("fake_listed_layer")
            + "\nfrom framework.registry import MODELS\nMODELS.register('fake_listed_model')(lambda width: None)\n",
            "fake_listed/configs/model/fake_listed_model.yaml": "name: fake_listed_model\nwidth: 3\n",
        },
        plugin="fake_listed",
        configs="fake_listed.configs",
    )
    out = listing(capsys)
    assert re.search(r"^  fake_listed_layer +fake-listed 0.1.0\n      units=1$", out, re.MULTILINE)
    assert re.search(r"^  fake_listed_model +fake-listed 0.1.0\n      width=3\n      defaults from .*fake_listed_model.yaml \(fake-listed\)$", out, re.MULTILINE)


def test_local_modules_are_listed_as_not_installed(capsys, site):
    (site / "fake_local_layers.py").write_text(layer_module("fake_local_layer"))
    out = listing(capsys, "layer", "--plugin", "fake_local_layers")
    assert re.search(r"^  fake_local_layer +fake_local_layers \(not installed\)$", out, re.MULTILINE)
