"""The config sections about keeping and ending a run: `checkpoint` (how often a
run saves what it needs to resume) and `early_stopping`.

Validated before any TensorFlow import, so these import nothing heavy."""

from __future__ import annotations

from typing import Annotated, Literal

import pydantic

from framework.validation import ComponentConfig


class CheckpointSettings(ComponentConfig):
    """Attributes:
    every_n_epochs: Saves a checkpoint every N epochs; 0 saves only at the end
        of training (and when a signal stops it). Under the tape strategy each
        checkpoint ends a graph call, so small N costs speed.
    keep: How many of the newest checkpoints stay on disk.
    """

    every_n_epochs: Annotated[int, pydantic.Field(ge=0)]
    keep: Annotated[int, pydantic.Field(ge=1)]

    def due(self, epoch: int, epochs: int) -> bool:
        """Whether a checkpoint is written at the end of `epoch` (0-based) of `epochs`."""
        periodic = self.every_n_epochs > 0 and (epoch + 1) % self.every_n_epochs == 0
        return periodic or epoch == epochs - 1


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
