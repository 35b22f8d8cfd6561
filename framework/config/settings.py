"""The schemas of configs/train.yaml's top-level keys: what a run is asked to do
besides its components (seed, epochs, console, precision, exports, checkpoints,
early stopping, resume).

Validated before any TensorFlow import, so this module imports nothing heavy.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import pydantic

from framework.config.schema import ComponentConfig

# TensorFlow and NumPy take seeds in [0, 2**32 - 1]; epoch counters in graphs are int32.
SEED_MAX = 2**32 - 1
INT32_MAX = 2**31 - 1

# Enough to lose little when a run dies, few enough to cost nothing on runs
# of many short epochs.
_CHECKPOINTS_PER_RUN = 10


class CheckpointSettings(ComponentConfig):
    """Attributes:
    every_n_epochs: Saves a checkpoint every N epochs, and always at the end of
        training (and when a signal stops it); 0 picks N so a run saves about
        ten checkpoints (every epoch for runs of up to ten epochs). Under the
        tape strategy each checkpoint ends a graph call, so small N costs speed.
    keep: How many of the newest checkpoints stay on disk.
    """

    every_n_epochs: Annotated[int, pydantic.Field(ge=0, le=INT32_MAX)]
    keep: Annotated[int, pydantic.Field(ge=1, le=INT32_MAX)]

    def due(self, epoch: int, epochs: int) -> bool:
        """Whether a checkpoint is written at the end of `epoch` (0-based) of `epochs`."""
        interval = self.every_n_epochs or max(1, math.ceil(epochs / _CHECKPOINTS_PER_RUN))
        return (epoch + 1) % interval == 0 or epoch == epochs - 1


class EarlyStoppingSettings(ComponentConfig):
    """Attributes:
    enabled: Stops training early when `monitor` stops improving.
    monitor: The epoch log watched: `loss`, or `val_loss` (needs data.val_fraction > 0).
    patience: Epochs without improvement before stopping.
    min_delta: The smallest decrease that counts as an improvement.
    """

    enabled: bool
    monitor: Literal["loss", "val_loss"]
    patience: Annotated[int, pydantic.Field(ge=0, le=INT32_MAX)]
    min_delta: Annotated[float, pydantic.Field(ge=0)]


class ExportSettings(ComponentConfig):
    """Attributes:
    saved_model: Also exports <run dir>/saved_model, a TensorFlow SavedModel
        with a `serve` signature for TF Serving and `tf.saved_model.load`.
    """

    saved_model: bool


class RunSettings(ComponentConfig):
    """Attributes:
    seed: Seeds Python, NumPy and TensorFlow; the same seed gives the same run.
        0 to 2**32 - 1, the range TensorFlow and NumPy accept.
    epochs: Passes over the training data (at most 2**31 - 1).
    plugins: Extra modules to import so their components register (local code
        that is not an installed plugin).
    verbose: Console output: 0 silent, 1 Keras's progress bar, 2 one line per
        epoch in the tutorial's words (W, b and the loss).
    precision: Keras dtype policy: float32, or mixed_bfloat16 / mixed_float16
        (variables in float32, computation in 16 bits).
    run_eagerly: Runs tf.functions eagerly, so breakpoints and prints in
        layers and losses work (slow; `debug=eager` sets it).
    export: Extra exports besides model.keras.
    device: auto trains on a GPU when TensorFlow sees one, else the CPU; cpu
        hides the GPUs; gpu requires one.
    plots: Saves the end-of-run plots (they read the run's events back, which
        for long runs logged every epoch takes longer than training).
    checkpoint: When checkpoints are saved and how many are kept.
    early_stopping: Whether and when to stop before `epochs`.
    resume: The run directory being continued (set by `resume=<run dir>`), or None.
    """

    seed: Annotated[int, pydantic.Field(ge=0, le=SEED_MAX)]
    epochs: Annotated[int, pydantic.Field(ge=1, le=INT32_MAX)]
    plugins: list[str]
    verbose: Annotated[int, pydantic.Field(ge=0, le=2)]
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16"]
    run_eagerly: bool
    export: ExportSettings
    device: Literal["auto", "cpu", "gpu"]
    plots: bool
    checkpoint: CheckpointSettings
    early_stopping: EarlyStoppingSettings
    resume: str | None
