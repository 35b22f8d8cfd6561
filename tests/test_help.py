"""`python -m framework.train --help`: every group, option and field, described, without TensorFlow."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.plugins import install_distribution
from omegaconf import OmegaConf

from framework.config.field_docs import builtin_docs, describe_model, load_docs
from framework.config.help import help_text
from framework.config.settings import RunSettings

COMPONENT_GROUPS = ["model", "loss", "data", "strategy", "optimizer", "optimizer/schedule", "logger", "distribution"]


@pytest.fixture(scope="module")
def text():
    return help_text()


def test_help_answers_without_importing_tensorflow():
    out = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv = ['framework.train', '--help']\n"
         "from framework.train import main; main(); assert 'tensorflow' not in sys.modules, 'imported'"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: python -m framework.train") and "CONFIG GROUPS" in out.stdout


@pytest.mark.parametrize("group", COMPONENT_GROUPS)
def test_every_field_of_every_option_is_listed_with_type_default_and_description(text, compose_config, group):
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from framework.config.compose import CONFIG_MODULE, HYDRA_VERSION_BASE

    with initialize_config_module(CONFIG_MODULE, version_base=HYDRA_VERSION_BASE):
        options = GlobalHydra.instance().config_loader().get_group_options(group)
    assert f"\n{group}: {', '.join(options)}\n" in text
    for option in options:
        block = _option_block(text, group, option)
        # A logger's own fields sit under logger.<option>, beside the keys every logger shares.
        path = f"logger.{option}" if group == "logger" else group.replace("/", ".")
        node = OmegaConf.select(compose_config(f"{group}={option}"), path) or {}
        fields = [name for name in node if name != "name"]
        for name in fields:
            line, description = _field_lines(block, f"{path}.{name}")
            assert " = " in line and "(" in line, line
            assert description and "a plugin's field" not in description, (group, option, name)
        assert bool(fields) or "(no fields)" in block


def test_top_level_keys_and_sections_are_described(text):
    top = text.split("TOP-LEVEL KEYS", 1)[1]
    for name, field in describe_model(RunSettings).items():
        assert field["description"], name
        if field["type"] == "section":
            for sub_name in RunSettings.model_fields[name].annotation.model_fields:
                assert f"\n    {name}.{sub_name} (" in top, (name, sub_name)
        else:
            assert f"\n  {name} ({field['type']}) = " in top, name
    assert "\n    lr_on_plateau.factor (float) = 0.5\n        The learning rate is multiplied by this, in (0, 1), at each plateau.\n" in top


def test_optimizer_options_read_as_documented(text):
    block = _option_block(text, "optimizer", "sgd")
    line, description = _field_lines(block, "optimizer.gradient_accumulation_steps")
    assert line == "    optimizer.gradient_accumulation_steps (int or null) = null"
    assert description.startswith("Averages the gradients of this many batches (at least 2) into one update")


def test_the_extracted_field_docs_are_up_to_date():
    assert load_docs() == builtin_docs(), "run: python -m framework.config.field_docs"


def test_options_shipped_by_a_plugin_are_listed(site):
    install_distribution(
        site, "fake-help", {"fake_help/__init__.py": "", "fake_help/configs/model/fake_mlp.yaml": "name: sequential\nlayers:\n  - {name: dense, units: 3}\n"},
        configs="fake_help.configs",
    )
    text = help_text()
    block = _option_block(text, "model", "fake_mlp")
    line, description = _field_lines(block, "model.layers")
    assert line == '    model.layers (list of mapping) = [{"name": "dense", "units": 3}]'
    assert description.startswith("Layer specs applied in order; any key registered in LAYERS works.")
    assert "model=fake_mlp   (model 'sequential')" in text


def _option_block(text: str, group: str, option: str) -> str:
    start = text.index(f"\n  {group}={option}")
    rest = text[start + 1:]
    ends = [i for i in (rest.find("\n  " + c) for c in "abcdefghijklmnopqrstuvwxyz") if i > 0]
    blank = rest.find("\n\n")
    return rest[: min([*ends, blank if blank > 0 else len(rest)])]


def _field_lines(block: str, key: str) -> tuple[str, str]:
    lines = block.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"    {key} ("))
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return lines[index], following.strip() if following.startswith("        ") else ""


@pytest.mark.slow
def test_the_readme_s_bash_completion_completes_the_console_script():
    """The README's two lines, in a real bash: install, then complete."""
    bin_dir = Path(sys.executable).parent
    script = ('eval "$(framework-train -sc install=bash)"; COMP_LINE="framework-train optimizer.glo"; '
              'COMP_POINT=${#COMP_LINE}; COMP_CWORD=1; hydra_bash_completion; echo "${COMPREPLY[@]}"')
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    assert out.returncode == 0 and out.stdout.strip() == "optimizer.global_clipnorm=", out.stdout + out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("arguments, expected", [
    (["--shell-completion"], "Error: --shell-completion (-sc) needs one of install=<shell>, uninstall=<shell> or query=<shell>"),
    (["-sc", "install=bash"], "Error: -sc install=bash: Hydra's completion completes an installed command, not python -m framework.train"),
])
def test_shell_completion_mistakes_are_one_clear_error(arguments, expected):
    out = subprocess.run([sys.executable, "-m", "framework.train", *arguments], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.startswith(expected) and out.stderr.count("\n") == 1, out.stderr
    assert 'eval "$(framework-train -sc install=bash)"' in out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("line, completion", [
    ("framework-train optimizer.glo", "optimizer.global_clipnorm="),
    ("framework-train lr_on_plateau.fa", "lr_on_plateau.factor="),
    ("framework-train optimizer=", "optimizer=adam optimizer=adamw optimizer=rmsprop optimizer=sgd"),
])
def test_shell_completion_of_the_console_script(line, completion):
    from pathlib import Path

    script = Path(sys.executable).parent / "framework-train"
    out = subprocess.run([str(script), "-sc", "query=bash"], capture_output=True, text=True, timeout=120,
                         env={"PATH": str(script.parent), "COMP_LINE": line})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == completion
