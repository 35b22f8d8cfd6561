"""When a logger's records are due, the same under every strategy: its Cadence as schedules."""

from __future__ import annotations

from framework.loggers.base import Cadence
from framework.schedules import Every

# TensorBoard keeps 1000 points per scalar tag by default; logging more often
# than that only costs time.
POINTS_PER_CURVE = 1000
# An inner loop costs about as much as a branch in 8 epochs of the compiled
# loop: rarer records get an inner loop between them, more frequent ones a branch.
_INTERVAL_WORTH_AN_INNER_LOOP = 8


class RecordSchedule:
    """The epochs and steps at which a logger with `cadence` gets records, in a run of `epochs` epochs.

    Attributes:
        epochs: The run's epochs.
        epoch_records: The epochs that get a record (the last always), or None for none.
        step_interval: Every how many optimizer steps a step record is due; 0 for none.
    """

    def __init__(self, cadence: Cadence, epochs: int):
        self.epochs = epochs
        self.step_interval = cadence.every_n_steps
        if cadence.every_n_epochs is None:
            self.epoch_records: Every | None = None
        elif cadence.every_n_epochs:
            self.epoch_records = Every(cadence.every_n_epochs, last=True)
        else:
            self.epoch_records = Every.about(POINTS_PER_CURVE, epochs)

    def step_due(self, step):
        """Whether optimizer step `step` (counted from 1) gets a step record."""
        return self.step_interval > 0 and step % self.step_interval == 0

    def epoch_due(self, epoch):
        """Whether epoch `epoch` gets an epoch record: a plain bool when the answer is the same for every epoch."""
        return False if self.epoch_records is None else self.epoch_records.due(epoch, self.epochs)

    @property
    def due_epochs_in_loop(self) -> bool:
        """True when a compiled loop should ask `epoch_due` at every epoch; False when due
        epochs are rare (or none) and the loop should run the epochs between them in an
        inner loop that asks nothing (see `epochs_until_due`)."""
        return self.epoch_records is not None and self.epoch_records.n < _INTERVAL_WORTH_AN_INNER_LOOP

    def epochs_until_due(self, epoch):
        """Inside a compiled loop: how many epochs from `epoch` (a tensor) up to and
        including the next due one, or None if none is ever due."""
        return None if self.epoch_records is None else self.epoch_records.epochs_until_due(epoch)
