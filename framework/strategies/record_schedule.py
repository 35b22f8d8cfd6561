"""When a logger's records are due, decided once for both strategies from its cadence.

Every question takes an int (the fit strategy asks from Python) or a tensor
(the tape strategy asks inside its compiled loop) and answers in kind, so the
two loops write records at exactly the same epochs and steps.
"""

from __future__ import annotations

import math

import tensorflow as tf

from framework.loggers.base import Cadence

# TensorBoard keeps 1000 points per scalar tag by default; logging more often
# than that only costs time.
POINTS_PER_CURVE = 1000
# An inner loop costs about as much as a branch in 8 epochs of the compiled
# loop: rarer records get an inner loop between them, more frequent ones a branch.
_INTERVAL_WORTH_AN_INNER_LOOP = 8


class RecordSchedule:
    """The epochs and steps at which a logger with `cadence` gets records, in a run of `epochs` epochs."""

    def __init__(self, cadence: Cadence, epochs: int):
        self.epochs = epochs
        self.step_interval = cadence.every_n_steps
        if cadence.every_n_epochs is None:
            self.epoch_interval = None
        else:
            self.epoch_interval = cadence.every_n_epochs or max(1, math.ceil(epochs / POINTS_PER_CURVE))

    @property
    def records_epochs(self) -> bool:
        return self.epoch_interval is not None

    def step_due(self, step):
        """Whether optimizer step `step` gets a step record."""
        return self.step_interval > 0 and step % self.step_interval == 0

    def epoch_due(self, epoch):
        """Whether epoch `epoch` gets an epoch record: a plain bool when the answer is the same for every epoch."""
        if self.epoch_interval is None:
            return False
        if self.epoch_interval == 1:
            return True
        # Operators that mean the same for ints and tensors.
        return ((epoch + 1) % self.epoch_interval == 0) | (epoch == self.epochs - 1)

    @property
    def due_epochs_in_loop(self) -> bool:
        """True when a compiled loop should ask `epoch_due` at every epoch; False when due
        epochs are rare (or none) and the loop should run the epochs between them in an
        inner loop that asks nothing (see `epochs_until_due`)."""
        return self.epoch_interval is not None and self.epoch_interval < _INTERVAL_WORTH_AN_INNER_LOOP

    def epochs_until_due(self, epoch):
        """Inside a compiled loop: how many epochs from `epoch` (a tensor) up to and
        including the next due one, or None if none is ever due."""
        if self.epoch_interval is None:
            return None
        interval = tf.constant(self.epoch_interval, tf.int64)
        return tf.minimum(interval - epoch % interval, self.epochs - epoch)
