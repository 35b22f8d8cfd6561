"""Plugin discovery, plugin configs and every plugin failure, with installed
distributions written the way pip writes them (a package and its dist-info
with entry points) into a folder on the path."""

from __future__ import annotations

import importlib
import logging
import re
import sys

import keras
import pytest
from helpers.plugins import install_distribution, layer_module
from helpers.runs import run_cli

from framework.config import compose
from framework.config.sources import register_configs
from framework.errors import PluginError, RegistryConflictError, UnknownComponentError
from framework.plugins import load_plugins
from framework.registry import LAYERS


def compose_train(*overrides: str):
    return compose(overrides)


def test_an_installed_plugin_registers_under_its_distribution(site):
    install_distribution(site, "fake-good", {"fake_good/__init__.py": layer_module("fake_good_layer")}, plugin="fake_good")
    load_plugins()
    entry = LAYERS.get("fake_good_layer")
    assert entry.distribution == "fake-good"
    assert entry.factory.__module__ == "fake_good"


def test_loading_a_plugin_again_is_harmless(site):
    install_distribution(site, "fake-twice", {"fake_twice/__init__.py": layer_module("fake_twice_layer")}, plugin="fake_twice")
    load_plugins()
    load_plugins(["fake_twice", "fake_twice"])
    reloaded = importlib.reload(sys.modules["fake_twice"]).FakeLayer  # a new class object, the same component
    entry = LAYERS.get("fake_twice_layer")
    assert entry.factory is reloaded and entry.distribution == "fake-twice"
    assert keras.saving.get_registered_name(reloaded) == "fake_twice>FakeLayer"


def test_a_broken_installed_plugin_is_one_warning_and_the_others_still_load(site, caplog):
    install_distribution(site, "fake-broken", {"fake_broken/__init__.py": "import missing_dependency\n"}, plugin="fake_broken")
    install_distribution(site, "fake-fine", {"fake_fine/__init__.py": layer_module("fake_fine_layer")}, plugin="fake_fine")
    with caplog.at_level(logging.WARNING, logger="framework.plugins"):
        load_plugins()
        load_plugins()
    assert [record.getMessage() for record in caplog.records] == [
        "Plugin 'fake-broken' (entry point fake_broken = fake_broken) failed to load and is skipped: "
        "ModuleNotFoundError: No module named 'missing_dependency'"
    ]
    assert "fake_fine_layer" in LAYERS


def test_a_run_needing_the_broken_plugins_component_names_the_plugin(site, tmp_path):
    from framework.run import run

    install_distribution(site, "fake-broken", {"fake_broken/__init__.py": "raise RuntimeError('needs a GPU')\n"}, plugin="fake_broken")
    cfg = compose_train("model=sequential", "model.layers=[{name: broken_layer, units: 2}, {name: dense, units: 1}]")
    with pytest.raises(UnknownComponentError) as raised:
        run(cfg, tmp_path / "run")
    message = str(raised.value)
    assert message.startswith("model.layers[0].name: unknown layer 'broken_layer'. Available layers: activation, activity_regularization, ")
    assert "These installed plugins failed to load and may provide it: fake-broken (RuntimeError: needs a GPU)." in message
    assert not (tmp_path / "run" / "model.keras").exists()


@pytest.mark.parametrize(
    "module, cause",
    [
        ("no_such_plugin_module", "ModuleNotFoundError: No module named 'no_such_plugin_module'"),
        ("fake_local_bad", "ZeroDivisionError: division by zero"),
    ],
)
def test_a_module_named_in_plugins_that_fails_names_it_and_its_cause(site, module, cause):
    (site / "fake_local_bad.py").write_text("1 / 0\n")
    with pytest.raises(PluginError, match=re.escape(
        f"plugins=[{module}]: could not import the plugin module '{module}': {cause}. "
        f"Check that it is installed (pip install ...) or on PYTHONPATH and imports cleanly: python -c 'import {module}'."
    )):
        load_plugins([module])


def test_two_distributions_with_one_key_is_an_error_naming_both(site):
    install_distribution(site, "fake-first", {"fake_first/__init__.py": layer_module("fake_shared", "FirstLayer")}, plugin="fake_first")
    install_distribution(site, "fake-second", {"fake_second/__init__.py": layer_module("fake_shared", "SecondLayer")}, plugin="fake_second")
    with pytest.raises(RegistryConflictError) as raised:
        load_plugins()
    message = str(raised.value)
    assert "Two different layers are registered under the key 'fake_shared': first " in message
    assert "FirstLayer (fake-first)" in message and "SecondLayer (fake-second)" in message


CONFIG_FILES = {
    "fake_configs/__init__.py": "raise RuntimeError('composing a config must not import the plugin')\n",
    "fake_configs/configs/model/fake_preset.yaml": """\
        name: sequential
        layers:
          - {name: fake_layer, units: 3}
        """,
    "fake_configs/configs/experiment/fake_experiment.yaml": """\
        defaults:
          - override /model: fake_preset
          - override /data: sine
        epochs: 7
        """,
}


def test_plugin_configs_are_selectable_without_importing_the_plugin(site):
    install_distribution(site, "fake-configs", CONFIG_FILES, configs="fake_configs.configs")
    assert compose_train("model=fake_preset").model.layers[0].units == 3
    cfg = compose_train("+experiment=fake_experiment")  # no header: experiments set values globally
    assert (cfg.epochs, cfg.data.name, cfg.model.layers[0].name) == (7, "sine", "fake_layer")
    assert "fake_configs" not in sys.modules


def test_an_option_shipped_twice_is_an_error_naming_both(site):
    preset = {"fake_a/configs/model/shared.yaml": "name: linear\n"}
    install_distribution(site, "fake-a", preset, configs="fake_a.configs")
    install_distribution(site, "fake-b", {path.replace("fake_a", "fake_b"): text for path, text in preset.items()}, configs="fake_b.configs")
    with pytest.raises(PluginError, match=r"The config model/shared is shipped by both 'fake-[ab]' and the plugin 'fake-[ab]' \(.*shared.yaml\)") as raised:
        register_configs()
    assert "'fake-a'" in str(raised.value) and "'fake-b'" in str(raised.value)


def test_an_option_the_framework_ships_is_an_error(site):
    install_distribution(site, "fake-shadow", {"fake_shadow/configs/model/linear.yaml": "name: linear\n"}, configs="fake_shadow.configs")
    with pytest.raises(PluginError, match=r"The config model/linear is shipped by both the framework itself and the plugin 'fake-shadow'.*Rename the plugin's file"):
        register_configs()


def test_unfindable_config_folders_and_bad_files_are_warnings(site, caplog):
    install_distribution(site, "fake-nofolder", {"fake_nofolder/__init__.py": ""}, configs="fake_nofolder.configs")
    install_distribution(site, "fake-ghost", {}, configs="fake_ghost.configs")
    install_distribution(site, "fake-badyaml", {"fake_badyaml/configs/model/bad.yaml": "name: [unclosed\n"}, configs="fake_badyaml.configs")
    with caplog.at_level(logging.WARNING, logger="framework.config.sources"):
        assert not [config for config in register_configs() if config.distribution.startswith("fake-")]
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert re.search(r"Plugin 'fake-nofolder' \(entry point fake_nofolder = fake_nofolder.configs\): its configs are skipped: "
                     r"the package 'fake_nofolder' has no folder configs \(looked in .*\)", messages)
    assert "Plugin 'fake-ghost' (entry point fake_ghost = fake_ghost.configs): its configs are skipped: 'fake_ghost' is not an installed package" in messages
    assert re.search(r"Plugin 'fake-badyaml': skipping the config .*bad.yaml, which is not valid YAML", messages)


def test_a_config_conflict_stops_the_command_line_before_anything_runs(site, tmp_path):
    install_distribution(site, "fake-shadow", {"fake_shadow/configs/optimizer/adam.yaml": "name: adam\n"}, configs="fake_shadow.configs")
    out = run_cli("--cfg", "job", env={"PYTHONPATH": str(site)}, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("Error: The config optimizer/adam is shipped by both the framework itself and the plugin 'fake-shadow'")
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_command_line_plugin_failures(site, tmp_path):
    install_distribution(site, "fake-broken", {"fake_broken/__init__.py": "import missing_dependency\n"}, plugin="fake_broken")
    env = {"PYTHONPATH": str(site)}
    tiny = ["epochs=1", "data.num_examples=16", "logger=none"]

    unrelated = run_cli(*tiny, f"hydra.run.dir={tmp_path / 'ok'}", env=env, cwd=tmp_path)
    assert unrelated.returncode == 0, unrelated.stderr
    assert (unrelated.stdout + unrelated.stderr).count("Plugin 'fake-broken' (entry point fake_broken = fake_broken) failed to load") == 1

    needed = run_cli(*tiny, "model=sequential", "model.layers=[{name: broken_layer}]", f"hydra.run.dir={tmp_path / 'needed'}", env=env, cwd=tmp_path)
    assert needed.returncode == 2
    assert "failed to load and may provide it: fake-broken (ModuleNotFoundError: No module named 'missing_dependency')" in needed.stderr

    explicit = run_cli(*tiny, "plugins=[no_such_plugin_module]", f"hydra.run.dir={tmp_path / 'explicit'}", cwd=tmp_path)
    assert explicit.returncode == 2
    assert (
        "Error: plugins=[no_such_plugin_module]: could not import the plugin module 'no_such_plugin_module': "
        "ModuleNotFoundError: No module named 'no_such_plugin_module'." in explicit.stderr
    )
    assert "Traceback" not in needed.stderr + explicit.stderr
