"""Checkpoints inside an epoch, every N optimizer steps (checkpoint.every_n_steps).

Every epoch has the same number of steps, so the global step (the
optimizer's `iterations`) names a position: `divmod(step, steps_per_epoch)`
is (epochs done, steps done of the next). With batches a pure function of
(seed, epoch, step), a run resumed from such a checkpoint starts its epoch at
the next step and reads no batch before it. A step that ends an epoch gets
no step checkpoint: the epoch's own checkpoint (checkpoint.every_n_epochs)
is the one there, written after the epoch's validation and callbacks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from framework.schedules import EveryNStepsInsideEpochs

# (epochs done, steps done of the next epoch, the epoch's progress) -> None
SaveInsideEpoch = Callable[[int, int, list[np.ndarray]], None]


class StepCheckpoints:
    """Checkpoints due at `steps`, written by `save`."""

    def __init__(self, steps: EveryNStepsInsideEpochs, save: SaveInsideEpoch):
        self.steps = steps
        self._save = save

    def save(self, global_step: int, progress: list[np.ndarray]) -> None:
        """Writes the checkpoint of optimizer step `global_step`, inside its epoch, with the epoch's `progress`."""
        epochs_done, steps_done = divmod(global_step, self.steps.steps_per_epoch)
        self._save(epochs_done, steps_done, progress)
