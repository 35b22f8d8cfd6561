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

import math
from collections.abc import Callable

import numpy as np

# (epochs done, steps done of the next epoch, the epoch's progress) -> None
SaveInsideEpoch = Callable[[int, int, list[np.ndarray]], None]


class StepCheckpoints:
    """When checkpoints inside epochs are due, and their writing.

    Attributes:
        every_n_steps: The interval in optimizer steps (at least 1).
        steps_per_epoch: Steps in one epoch.
    """

    def __init__(self, every_n_steps: int, steps_per_epoch: int, save: SaveInsideEpoch):
        self.every_n_steps = every_n_steps
        self.steps_per_epoch = steps_per_epoch
        self._save = save
        # Multiples of N that are also multiples of the epoch length end epochs: none falls inside
        # one when N is a multiple of it.
        self._any_inside = every_n_steps % steps_per_epoch != 0

    def due(self, global_step: int) -> bool:
        """Whether a checkpoint is due after optimizer step `global_step` (counted from 1)."""
        return global_step % self.every_n_steps == 0 and global_step % self.steps_per_epoch != 0

    def next_due(self, global_step: int) -> int | None:
        """The first step after `global_step` whose checkpoint is due; None when none ever is."""
        if not self._any_inside:
            return None
        candidate = (global_step // self.every_n_steps + 1) * self.every_n_steps
        # At most steps_per_epoch / gcd(N, steps_per_epoch) candidates end epochs in a row.
        for _ in range(self.steps_per_epoch // math.gcd(self.every_n_steps, self.steps_per_epoch)):
            if candidate % self.steps_per_epoch:
                return candidate
            candidate += self.every_n_steps
        return None

    def save(self, global_step: int, progress: list[np.ndarray]) -> None:
        """Writes the checkpoint of optimizer step `global_step`, inside its epoch, with the epoch's `progress`."""
        epochs_done, steps_done = divmod(global_step, self.steps_per_epoch)
        self._save(epochs_done, steps_done, progress)
