"""A regular (non-editable) install: the wheel holds every module of the package and
its configs, and the installed package trains an experiment from any directory.

The environment is clean of the framework's sources: a new virtual environment
into which pip installs the wheel, with this environment's site-packages
appended to its path by a plain path line in a `.pth` file, so TensorFlow and the
other dependencies need no download. A path line adds the folder without
processing the `.pth` files inside it, so this environment's editable-install
finder (which maps `framework` to the sources and would supply any module the
wheel lacks) is not installed there; the test checks that it is absent.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers.runs import REPO_ROOT

pytestmark = pytest.mark.slow


def _shipped_files() -> set[str]:
    """The package's files as a wheel names them: framework/**.py and its data, configs/ as framework/conf,
    experiments/ as framework/experiments."""
    files = {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "framework").rglob("*.py")}
    files.add("framework/config/field_docs.json")
    files |= {f"framework/conf/{path.relative_to(REPO_ROOT / 'configs')}" for path in (REPO_ROOT / "configs").rglob("*.yaml")}
    files |= {f"framework/experiments/{path.relative_to(REPO_ROOT / 'experiments')}" for path in (REPO_ROOT / "experiments").rglob("*.yaml")}
    return files


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A clean environment with the framework installed from its wheel; returns its python."""
    root = tmp_path_factory.mktemp("install")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(root / "dist"), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (root / "dist").glob("keras_hydra_framework-*.whl")
    missing = _shipped_files() - set(zipfile.ZipFile(wheel).namelist())
    assert not missing, f"the wheel lacks {sorted(missing)}: is a package missing from setup.cfg?"

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    (site_packages,) = (root / "venv" / "lib").glob("python*/site-packages")
    (site_packages / "_dependencies.pth").write_text("".join(f"{folder}\n" for folder in sys.path if folder.endswith("site-packages")))
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return python


def _env() -> dict:
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_the_installed_package_is_the_wheel_s_copy_without_the_editable_finder(installed, tmp_path):
    where = subprocess.run(
        [str(installed), "-c", "import sys, framework, framework.conf, framework.experiments, framework.inference.evaluation; print(framework.__file__); "
         "print(' '.join(type(f).__name__ if not isinstance(f, type) else f.__name__ for f in sys.meta_path))"],
        capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60,
    )
    assert where.returncode == 0, where.stderr
    location, finders = where.stdout.splitlines()
    assert location.startswith(str(installed.parents[1])) and "EditableFinder" not in finders, where.stdout


def test_a_regular_install_trains_an_experiment_outside_the_repository(installed, tmp_path):
    out = subprocess.run(
        [str(installed), "-m", "framework.train", "+experiment=seed_linear", "strategy=fit", "epochs=2", "hydra.run.dir=run"],
        capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Epoch  0: W=5.00 b=0.00" in out.stdout and out.stderr == ""
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["epochs"] == 2


def test_the_console_script_names_the_framework_s_version(installed, tmp_path):
    out = subprocess.run([str(installed.parent / "framework-train"), "--version"], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "keras-hydra-framework 0.1.0"
