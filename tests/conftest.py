"""Shared fixtures: composed configs, tiny runs, TensorBoard event reading."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

from framework.config_sources import register_configs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
register_configs()

REPO_ROOT = Path(__file__).resolve().parents[1]


def compose_train_config(*overrides: str) -> DictConfig:
    """Composes configs/train.yaml with overrides, exactly as the CLI would."""
    with initialize_config_module("framework.conf", version_base="1.3"):
        return compose("train", overrides=list(overrides))


def run_in(run_dir: Path, *overrides: str):
    """`run(cfg)` for the composed overrides, writing into `run_dir`; for module-scoped fixtures."""
    from framework.run import run

    return run(compose_train_config(*overrides), run_dir)


@pytest.fixture
def compose_config() -> Callable[..., DictConfig]:
    return compose_train_config


@pytest.fixture
def train(compose_config, tmp_path):
    """Runs `run(cfg)` for the given overrides in a fresh run directory."""
    from framework.run import run

    counter = iter(range(1000))

    def _train(*overrides: str):
        run_dir = tmp_path / f"run{next(counter)}"
        return run(compose_config(*overrides), run_dir)

    return _train


def read_scalars(log_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in a TensorBoard log dir, as TensorBoard's server loads them (its
    plugin EventAccumulator, which honours SessionLog.START purges of tensor summaries)."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    accumulator.Reload()

    return {
        tag: [(event.step, float(tf.make_ndarray(event.tensor_proto))) for event in accumulator.Tensors(tag)]
        for tag in accumulator.Tags()["tensors"]
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
    }


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 180):
    """Runs `python -m framework.train ARGS` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "framework.train", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
