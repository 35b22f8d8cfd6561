"""The config sections about keeping and ending a run: `checkpoint` (how often a
run saves what it needs to resume) and `early_stopping`.

Validated before any TensorFlow import, so these import nothing heavy."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import pydantic

from framework.validation import ComponentConfig

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

    every_n_epochs: Annotated[int, pydantic.Field(ge=0)]
    keep: Annotated[int, pydantic.Field(ge=1)]

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
    patience: Annotated[int, pydantic.Field(ge=0)]
    min_delta: Annotated[float, pydantic.Field(ge=0)]
