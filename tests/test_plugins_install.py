"""Real installs: the example plugins and a plugin written from the README's
"Writing a plugin" section alone are pip-installed, regular and editable, into
a throwaway environment, then used from the command line as a user would."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.probes import PROBE, imported_tensorflow
from helpers.runs import REPO_ROOT

pytestmark = pytest.mark.slow

EXAMPLES = [REPO_ROOT / "plugins" / name for name in ("fourier_features", "residual_block", "template")]


def write_readme_plugin(folder: Path) -> Path:
    """Writes each file the README's plugin section shows (a block whose first line is `# my-layers/<path>`)."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Writing a plugin\n", 1)[1].split("\n## ", 1)[0]
    for block in re.findall(r"```\w*\n(.*?)```", section, re.DOTALL):
        first_line, _, text = block.partition("\n")
        path = re.fullmatch(r"# (my-layers/\S+)", first_line)
        if path:
            (folder / path.group(1)).parent.mkdir(parents=True, exist_ok=True)
            (folder / path.group(1)).write_text(text)
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert written == [
        "my-layers/my_layers/__init__.py",
        "my-layers/my_layers/configs/experiment/gated_sine.yaml",
        "my-layers/my_layers/configs/model/gated_mlp.yaml",
        "my-layers/pyproject.toml",
        "my-layers/setup.cfg",
        "my-layers/tests/test_gated_dense.py",
    ]
    return folder / "my-layers"


def make_environment(path: Path) -> Path:
    """A new virtual environment layered over this one; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    (site_packages,) = (path / "lib").glob("python*/site-packages")
    # What --system-site-packages does for a base interpreter, for this
    # environment: the framework, TensorFlow and pip stay visible, and what is
    # installed into the new environment comes first on its path.
    parents = "; ".join(f"site.addsitedir({folder!r})" for folder in site.getsitepackages())
    (site_packages / "_parent_environment.pth").write_text(f"import site; {parents}\n")
    return path / "bin" / "python"


@dataclass(frozen=True)
class Environment:
    mode: str
    python: Path
    root: Path
    readme_plugin: Path

    def run(self, *arguments: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.python), *arguments], cwd=cwd, capture_output=True, text=True, timeout=timeout,
            env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )


@pytest.fixture(scope="module", params=["regular", "editable"])
def environment(request, tmp_path_factory) -> Environment:
    root = tmp_path_factory.mktemp(request.param)
    readme_plugin = write_readme_plugin(root / "sources")
    python = make_environment(root / "venv")
    targets = [str(path) for path in (*EXAMPLES, readme_plugin)]
    if request.param == "editable":
        targets = [argument for target in targets for argument in ("-e", target)]
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", *targets],
        capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stderr
    return Environment(request.param, python, root, readme_plugin)


def test_a_plugin_layer_trains_from_the_command_line_and_reloads_in_a_fresh_process(environment, tmp_path):
    run_dir = tmp_path / "run"
    out = environment.run(
        "-m", "framework.train", "model=sequential", "data=sine", "model.layers=[{name: fourier_features, units: 8}, {name: dense, units: 1}]",
        "epochs=2", "data.num_examples=64", "logger=none", f"hydra.run.dir={run_dir}", cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    _assert_reloads(environment, run_dir, "fourier_features.layer", "8", "plugins/fourier_features")


def _assert_reloads(environment: Environment, run_dir: Path, module: str, units: str, source: str) -> None:
    """The run's saved model reloads in a fresh process, its first layer from `module` as installed."""
    reload = environment.run(
        "-c", "import sys; from framework.saving import load_model; layer = load_model(sys.argv[1]).layers[0]; "
        "print(type(layer).__module__, layer.get_config()['units'], sys.modules[type(layer).__module__].__file__)",
        str(run_dir), cwd=run_dir,
    )
    assert reload.returncode == 0, reload.stderr
    loaded_module, loaded_units, file = reload.stdout.split()
    assert (loaded_module, loaded_units) == (module, units)
    # A regular install runs the copy in the environment; an editable one runs the sources.
    assert (source in file) == (environment.mode == "editable") and ("site-packages" in file) == (environment.mode == "regular")


def test_shipped_configs_are_selectable_and_compose_without_tensorflow(environment, tmp_path):
    for override, key in [
        ("+experiment=fourier_sine", "fourier_features"),
        ("model=residual_mlp", "residual_dense"),
        ("+experiment=template_sine", "template_dense"),
        ("+experiment=gated_sine", "gated_dense"),
    ]:
        out = environment.run("-c", PROBE, "framework.train", override, "--cfg", "job", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert f"name: {key}" in out.stdout and not imported_tensorflow(out.stderr), override
    if environment.mode == "editable":
        return  # the help text reads the same configs, found as above
    help_text = environment.run("-m", "framework.train", "--help", cwd=tmp_path).stdout
    assert "experiment: digits_cnn, fourier_sine, gated_sine, iris_mlp, residual_sine, seed_dense, seed_linear, spirals_mlp, template_sine" in help_text
    assert "model: application, fourier_mlp, gated_mlp, graph, linear, my_dense, residual_mlp, sequential, template_mlp" in help_text


def test_a_shipped_experiment_trains_and_its_model_reloads_in_a_fresh_process(environment, tmp_path):
    # The README's plugin: its experiment selects its model preset, whose first layer is its gated_dense.
    out = environment.run(
        "-m", "framework.train", "+experiment=gated_sine", "epochs=2", "data.num_examples=64", "logger=none",
        f"hydra.run.dir={tmp_path}", cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "sequential/gated_dense/gate_kernel" in json.loads((tmp_path / "summary.json").read_text())["variables"]
    _assert_reloads(environment, tmp_path, "my_layers", "16", "my-layers")


def test_listing_shows_each_plugin_with_distribution_and_version(environment, tmp_path):
    out = environment.run("-m", "framework.list", "layer", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for key, distribution in [
        ("fourier_features", "keras-hydra-fourier-features"),
        ("residual_dense", "keras-hydra-residual-block"),
        ("template_dense", "keras-hydra-plugin-template"),
        ("gated_dense", "my-layers"),
    ]:
        assert re.search(rf"^  {key} +{distribution} 0\.1\.0$", out.stdout, re.MULTILINE), out.stdout


@pytest.mark.parametrize("environment", ["editable"], indirect=True)  # only editable installs run from the sources
def test_an_editable_install_offers_a_new_config_file_without_reinstalling(environment, tmp_path):
    (environment.readme_plugin / "my_layers/configs/model/gated_wide.yaml").write_text(
        "name: sequential\nlayers:\n  - {name: gated_dense, units: 64}\n  - {name: dense, units: 1}\n"
    )
    out = environment.run("-m", "framework.train", "model=gated_wide", "--cfg", "job", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "units: 64" in out.stdout


# Once is enough; a regular install also checks that the configs ship as package data.
@pytest.mark.parametrize("environment", ["regular"], indirect=True)
def test_the_installed_plugins_pass_their_own_tests(environment):
    tests = [str(path / "tests") for path in (*EXAMPLES, environment.readme_plugin)]
    out = environment.run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(REPO_ROOT), *tests,
        cwd=REPO_ROOT, timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert re.search(r"^\d+ passed", out.stdout.splitlines()[-1]), out.stdout[-500:]
