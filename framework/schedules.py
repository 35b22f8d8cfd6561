"""When something happens in a run, declared as data.

Checkpoints, logger records, console lines, the profiler and callbacks each
say at which epochs they act with one of these values; the loops plan from
them (framework.strategies.call_plan), so nobody writes "every N epochs and
the last" again, and a callback needs no knowledge of how a loop splits its
work. Epochs are counted from 0; `epochs` is the run's total.

`Every.due` is written with operators that mean the same for Python ints and
for a backend's integer tensors, so compiled loops ask it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Every:
    """Every `n`-th epoch (epochs n-1, 2n-1, ...), and the first and the last if asked.

    Attributes:
        n: The interval, at least 1.
        first: Also epoch 0.
        last: Also the run's last epoch.
    """

    n: int
    first: bool = False
    last: bool = False

    def __post_init__(self):
        if self.n < 1:
            raise ValueError(f"Every(n): expected an interval of at least 1. Received: n={self.n}")

    @classmethod
    def about(cls, times: int, epochs: int, first: bool = False, last: bool = True) -> Every:
        """About `times` epochs spread evenly over a run of `epochs` (every epoch of shorter runs)."""
        return cls(max(1, math.ceil(epochs / times)), first=first, last=last)

    def due(self, epoch, epochs: int):
        """Whether `epoch` is due: a plain True when every epoch is, else a bool (or bool tensor)."""
        if self.n == 1:
            return True
        due = (epoch + 1) % self.n == 0
        if self.first:
            due = due | (epoch == 0)
        if self.last:
            due = due | (epoch == epochs - 1)
        return due

    def next_due(self, epoch: int, epochs: int) -> int:
        """The first due epoch from `epoch` on, or `epochs` when none is left."""
        if epoch >= epochs:
            return epochs
        if self.first and epoch == 0:
            return 0
        candidate = epoch + -(epoch + 1) % self.n
        return min(candidate, epochs - 1) if self.last else min(candidate, epochs)

    def due_in(self, start: int, stop: int, epochs: int) -> list[int]:
        """The due epochs in [start, stop), computed without asking each epoch."""
        due = set(range(start + -(start + 1) % self.n, stop, self.n))
        if self.first and start == 0 < stop:
            due.add(0)
        if self.last and start <= epochs - 1 < stop:
            due.add(epochs - 1)
        return sorted(due)

    def epochs_until_due(self, epoch):
        """Inside a compiled loop: how many epochs from `epoch` (a tensor) up to and including
        the next every-n-th one. A loop ends its last call at the run's last epoch anyway,
        and asks only after its first epoch, so `first` and `last` need no counting here."""
        return self.n - epoch % self.n


@dataclass(frozen=True)
class At:
    """The epochs named, and no others."""

    epochs: frozenset[int]

    def __init__(self, *epochs: int):
        object.__setattr__(self, "epochs", frozenset(epochs))

    def due(self, epoch: int, epochs: int) -> bool:
        return epoch in self.epochs

    def next_due(self, epoch: int, epochs: int) -> int:
        return min((candidate for candidate in self.epochs if epoch <= candidate < epochs), default=epochs)

    def due_in(self, start: int, stop: int, epochs: int) -> list[int]:
        return sorted(epoch for epoch in self.epochs if start <= epoch < min(stop, epochs))


Schedule = Every | At


@dataclass(frozen=True)
class EveryNStepsInsideEpochs:
    """Every `n`-th optimizer step (the global step, counted from 1) that falls inside an
    epoch of `steps_per_epoch` steps: a step that ends an epoch has the epoch's own work there.

    Attributes:
        n: The interval, at least 1.
        steps_per_epoch: Steps in one epoch (every epoch has as many).
    """

    n: int
    steps_per_epoch: int

    def __post_init__(self):
        if self.n < 1:
            raise ValueError(f"EveryNStepsInsideEpochs(n): expected an interval of at least 1. Received: n={self.n}")

    def due(self, step: int) -> bool:
        return step % self.n == 0 and step % self.steps_per_epoch != 0

    def next_due(self, step: int) -> int | None:
        """The first due step after `step`; None when none ever is (n a multiple of the epoch)."""
        if self.n % self.steps_per_epoch == 0:
            return None
        candidate = (step // self.n + 1) * self.n
        # Multiples of n that end epochs recur every steps_per_epoch / gcd(n, steps_per_epoch)
        # multiples, so no two follow each other: the next multiple is inside an epoch.
        return candidate if candidate % self.steps_per_epoch else candidate + self.n

EVERY_EPOCH = Every(1)
NEVER = At()

