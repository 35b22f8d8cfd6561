"""A run's TensorBoard scalars as tests compare them, read with the package's own reader."""

from __future__ import annotations

from pathlib import Path

from helpers.tensorboard_events import read_scalar_curves


def read_scalars(log_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar point of every tag, as (step, value) in step order, as TensorBoard's server loads them."""
    return {
        tag: list(zip(curve.steps.tolist(), curve.values.tolist()))
        for tag, curve in read_scalar_curves(log_dir, points=None).items()
    }
