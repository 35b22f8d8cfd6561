"""Runs on several devices or processes (backend=jax), compared with one device's.

Keras loads one backend per process, so every run here is a process of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.runs import run_cli

# Shuffled minibatches, validation with a smaller last batch, metrics and Adam.
SINE_MLP = (
    "data=sine", "data.num_examples=100", "data.batch_size=16", "data.val_fraction=0.2", "model=sequential",
    "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dense, units: 1}]",
    "optimizer=adam", "optimizer.learning_rate=0.01", "metrics=[mae]", "epochs=5", "verbose=0",
)


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def trained(run_dir: Path, *overrides: str) -> dict:
    """The summary of `python -m framework.train backend=jax OVERRIDES` run into `run_dir`."""
    out = run_cli("backend=jax", *overrides, f"hydra.run.dir={run_dir}", cwd=run_dir.parent, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return summary(run_dir)


def launch(*args: str, timeout: int = 300, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m framework.launch ARGS`."""
    return subprocess.run(
        [sys.executable, "-m", "framework.launch", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


def assert_same(result: dict, reference: dict, tolerance: float = 1e-4) -> None:
    """The final metrics and every trained variable agree to `tolerance`."""
    assert result["metrics"] == pytest.approx(reference["metrics"], abs=tolerance)
    for path, value in reference["variables"].items():
        np.testing.assert_allclose(result["variables"][path], value, atol=tolerance, err_msg=path)
