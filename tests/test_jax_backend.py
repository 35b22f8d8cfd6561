"""backend=jax: the same experiments on Keras's JAX backend, through the command line.

Keras loads one backend per process, so these run `python -m framework.train
backend=jax` as processes; they run in an environment with TensorFlow too (the
parity test needs both) and in one without it (the CI's JAX environment).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.probes import PROBE, imported_tensorflow
from helpers.runs import run_cli, run_python

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")

TUTORIAL_LINES = [
    "Epoch  0: W=5.00 b=0.00, loss=8.28051",
    "Epoch  1: W=4.65 b=0.37, loss=5.92016",
    "Epoch  2: W=4.37 b=0.68, loss=4.32861",
    "Epoch  3: W=4.13 b=0.92, loss=3.25486",
    "Epoch  4: W=3.93 b=1.12, loss=2.53007",
    "Epoch  5: W=3.76 b=1.29, loss=2.04058",
    "Epoch  6: W=3.62 b=1.42, loss=1.70986",
    "Epoch  7: W=3.51 b=1.52, loss=1.48632",
    "Epoch  8: W=3.42 b=1.61, loss=1.33515",
    "Epoch  9: W=3.34 b=1.68, loss=1.23289",
]
# Shuffled minibatches, validation, metrics, Dropout and Adam: every part of the loops.
MLP_RUN = (
    "data=sine", "data.num_examples=100", "data.batch_size=16", "data.val_fraction=0.2", "model=sequential",
    "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dropout, rate: 0.2}, {name: dense, units: 1}]",
    "optimizer=adam", "optimizer.learning_rate=0.01", "metrics=[mae]", "epochs=5", "verbose=0", "logger=none",
)


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_the_tutorial_prints_the_same_lines_on_jax_and_imports_no_tensorflow(tmp_path, strategy):
    out = run_python("-c", PROBE, "framework.train", "backend=jax", f"strategy={strategy}", f"hydra.run.dir={tmp_path / 'run'}",
                     cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[:10] == TUTORIAL_LINES
    assert lines[10] == f"Finished ({strategy} strategy): loss=1.2329, W=3.273, b=1.741"
    assert not imported_tensorflow(out.stderr)
    assert [line for line in out.stderr.splitlines() if not line.startswith("PROBE=")] == []
    assert _summary(tmp_path / "run")["backend"] == "jax"


@pytest.mark.slow
def test_fit_and_the_hand_written_loop_agree_on_jax(tmp_path):
    results = {}
    for strategy in ("tape", "fit"):
        out = run_cli("backend=jax", *MLP_RUN, f"strategy={strategy}", f"hydra.run.dir={tmp_path / strategy}", cwd=tmp_path)
        assert out.returncode == 0, out.stderr[-3000:]
        results[strategy] = _summary(tmp_path / strategy)
    assert set(results["tape"]["metrics"]) == {"loss", "mae", "val_loss", "val_mae"}
    assert results["tape"]["metrics"] == pytest.approx(results["fit"]["metrics"], abs=1e-5)
    for path, value in results["fit"]["variables"].items():
        np.testing.assert_allclose(results["tape"]["variables"][path], value, atol=1e-5, err_msg=path)


# Without Dropout: its masks come from each backend's own random numbers.
PARITY_MLP = tuple(o for o in MLP_RUN if not o.startswith("model.layers")) + (
    "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dense, units: 1}]",
)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="the parity test needs both backends")
@pytest.mark.parametrize("experiment", [PARITY_MLP, ("+experiment=digits_cnn", "epochs=3", "verbose=0", "logger=none",
                                                     "data.num_examples=600")], ids=["sine_mlp", "digits_cnn"])
def test_the_same_data_and_initial_weights_train_alike_on_both_backends(tmp_path, experiment):
    """Both start from one run's weights (init_from), so only the backends differ: float32
    sums in another order (XLA's fusions against TensorFlow's kernels) differ in the last
    bits each step, which a few epochs of Adam keep well inside 1e-4."""
    start = run_cli(*experiment, "epochs=1", f"hydra.run.dir={tmp_path / 'start'}", cwd=tmp_path, timeout=300)
    assert start.returncode == 0, start.stderr[-3000:]
    results = {}
    for backend in ("tensorflow", "jax"):
        out = run_cli(f"backend={backend}", *experiment, f"init_from={tmp_path / 'start'}",
                      f"hydra.run.dir={tmp_path / backend}", cwd=tmp_path, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        results[backend] = _summary(tmp_path / backend)
    assert results["jax"]["metrics"] == pytest.approx(results["tensorflow"]["metrics"], abs=1e-4, rel=1e-4)
    for path, value in results["tensorflow"]["variables"].items():
        np.testing.assert_allclose(results["jax"]["variables"][path], value, atol=1e-4, rtol=1e-4, err_msg=path)


@pytest.mark.parametrize("overrides, message", [
    (["backend=torch"], r"backend='torch' is invalid: input should be 'tensorflow' or 'jax'"),
    (["backend=jax", "distribution=mirrored"],
     r"distribution=mirrored runs on backend=tensorflow \(TensorFlow's tf.distribute\), not backend=jax. Use distribution=none"),
    (["backend=jax", "export.saved_model=true"],
     r"export.saved_model=true writes a TensorFlow SavedModel, which needs TensorFlow; backend=jax runs without it"),
])
def test_what_a_backend_cannot_do_is_one_clear_error(tmp_path, overrides, message):
    import re

    out = run_cli(*overrides, "epochs=1", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 2, out.stderr[-3000:]
    assert out.stderr.startswith("Error: ") and "Traceback" not in out.stderr, out.stderr
    assert re.search(message, out.stderr), out.stderr
    assert not (tmp_path / "run").exists()


def test_a_backend_that_is_not_installed_is_one_clear_error(tmp_path):
    """A process whose environment lacks the backend's distribution (hidden from importlib.metadata)."""
    hide = (
        "import importlib.metadata as m, runpy, sys; real = m.distribution; "
        "m.distribution = lambda name: (_ for _ in ()).throw(m.PackageNotFoundError(name)) if name == 'jax' else real(name); "
        "sys.argv = ['framework.train'] + sys.argv[1:]; runpy.run_module('framework.train', run_name='__main__')"
    )
    out = run_python("-c", hide, "backend=jax", "epochs=1", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 2, out.stderr[-3000:]
    assert f"Error: backend=jax: jax is not installed in this environment ({sys.executable})" in out.stderr
    assert "pip install -e '.[jax]'" in out.stderr and "Traceback" not in out.stderr
