"""The `checkpoint` config section: how often a run saves what it needs to resume."""

from __future__ import annotations

from typing import Annotated

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
