"""Reads a run's own TensorBoard events back, with TensorBoard's reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The reader TensorBoard's server uses: it drops events a resumed run superseded
# (SessionLog.START purges), which the older event_accumulator ignores for tensors.
from tensorboard.backend.event_processing.plugin_event_accumulator import (
    EventAccumulator,
)
from tensorboard.util import tensor_util


@dataclass(frozen=True)
class Curve:
    """One scalar tag: its values by optimizer step, in step order."""

    steps: np.ndarray
    values: np.ndarray

    def epochs(self, epoch_end_steps: np.ndarray) -> np.ndarray:
        """The epoch of each point: how many epochs had ended by its step
        (0 for values written before training)."""
        return np.searchsorted(epoch_end_steps, self.steps, side="right")


# Points kept per curve, as TensorBoard's own dashboard keeps for scalars
# (a reservoir sample that always holds the last point).
POINTS_PER_CURVE = 1000


def read_scalar_curves(log_dir: str | Path, points: int | None = POINTS_PER_CURVE) -> dict[str, Curve]:
    """Every scalar tag written under `log_dir` (tf.summary stores them as tensors),
    each sampled down to `points` points (None: every point)."""
    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": points or 0})  # 0: keep all
    accumulator.Reload()
    curves = {}
    for tag in accumulator.Tags()["tensors"]:
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue
        events = sorted(accumulator.Tensors(tag), key=lambda event: event.step)
        curves[tag] = Curve(
            steps=np.array([event.step for event in events]),
            values=np.array([_scalar(event.tensor_proto) for event in events]),
        )
    return curves


def _scalar(tensor_proto) -> float:
    return float(tensor_util.make_ndarray(tensor_proto).reshape(()))
