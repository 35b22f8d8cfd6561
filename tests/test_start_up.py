"""The commands load TensorFlow and Keras lean (framework.start_up): without Keras's
optional imports and with the import's objects frozen, while plugins, data sources and
library use import those modules as usual. What C writes to standard error while
TensorFlow loads stays off the console on every CPU: the commands here run with a
TensorFlow that writes such a line (tests/helpers/chatter_site) and a Python warning."""

import os
import subprocess
import sys

import pytest
from helpers.chatter import C_CHATTER, chattering
from helpers.probes import PROBE, probe_report

pytestmark = pytest.mark.slow  # real processes


def _probe(*arguments: str, cwd=None, env=None) -> tuple[subprocess.CompletedProcess, dict]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, timeout=300, cwd=cwd,
        env=chattering({**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}, "warn"),
    )
    report = probe_report(out.stderr)
    assert report is not None, out.stderr[-3000:]
    # C's line went to the run's log (or nowhere); Python's warning stayed on the console.
    assert C_CHATTER not in out.stderr + out.stdout, out.stderr[-3000:]
    assert "UserWarning: a Python warning while TensorFlow loads" in out.stderr, out.stderr[-3000:]
    return out, report


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict, object]:
    run_dir = tmp_path_factory.mktemp("default") / "run"
    out, probe = _probe("framework.train", "epochs=2", f"hydra.run.dir={run_dir}")
    return out, probe, run_dir


def test_the_default_run_loads_keras_without_its_optional_imports_and_freezes_what_it_loaded(default_run):
    out, probe, run_dir = default_run
    assert out.returncode == 0, out.stderr[-3000:]
    # Keras's scikit-learn, pandas, pyplot and SciPy stayed out; matplotlib came for the plots, drawn without pyplot.
    assert probe["modules"] == ["matplotlib", "tensorflow"], probe
    assert probe["frozen"] > 100_000, probe  # TensorFlow's and Keras's objects, never traversed again
    assert (run_dir / "loss.png").exists()
    assert f"TensorFlow (C++) while loading: I0000 00:00:0.0 1 chatter.cc:1] {C_CHATTER}" in (run_dir / "train.log").read_text()


@pytest.mark.parametrize("module, arguments", [("framework.predict", ["run={run}", "x=[1.0,2.0]"]), ("framework.list", ["layer"])])
def test_predict_and_list_load_keras_lean_too(default_run, module, arguments):
    out, probe = _probe(module, *(argument.format(run=default_run[2]) for argument in arguments))
    assert out.returncode == 0, out.stderr[-3000:]
    assert probe["modules"] == ["tensorflow"] and probe["frozen"] > 100_000, probe  # nothing drawn: no matplotlib


def test_plugins_and_data_sources_import_what_keras_was_kept_from(tmp_path):
    (tmp_path / "heavy_plugin.py").write_text("import matplotlib.pyplot\nimport pandas\nimport sklearn.base\n")
    (tmp_path / "table.csv").write_text("x,y\n" + "".join(f"{i / 10},{i / 5 + 1}\n" for i in range(40)))
    out, probe = _probe(
        "framework.train", "plugins=[heavy_plugin]", "data=csv", "data.path=table.csv", "data.target=y", "epochs=2",
        f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert set(probe["modules"]) == {"sklearn", "pandas", "matplotlib", "matplotlib.pyplot", "scipy.sparse", "tensorflow"}, probe


def test_what_c_wrote_is_shown_when_tensorflow_fails_to_load():
    out = subprocess.run(
        [sys.executable, "-m", "framework.list", "layer"], capture_output=True, text=True, timeout=300,
        env=chattering(None, "fail"),
    )
    assert out.returncode == 1
    assert C_CHATTER in out.stderr and out.stderr.rstrip().endswith("ImportError: TensorFlow failed to load (tests/helpers/chatter_site)")
    assert out.stderr.index(C_CHATTER) < out.stderr.index("Traceback")


def test_library_use_loads_keras_as_usual():
    """Only the commands keep Keras's optional imports out: `import framework.run` in a notebook does not."""
    out = subprocess.run(
        [sys.executable, "-c", "import sys, framework.run; print('sklearn' in sys.modules, 'pandas' in sys.modules)"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"]
