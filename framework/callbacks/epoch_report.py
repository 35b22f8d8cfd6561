"""One line per epoch, in the tutorial's words: `Epoch  0: W=5.00 b=0.00, loss=...`."""

from __future__ import annotations

import logging
import math

import numpy as np

from framework.callbacks.scheduled import EpochCallback
from framework.schedules import NEVER, Every

log = logging.getLogger("framework")

# Beyond this many epochs the console thins out to about this many epochs,
# always keeping the first and the last: a long run's console stays readable,
# and printing stays a small part of epochs that take microseconds.
EPOCHS_SHOWN_PER_RUN = 100


def console_epochs(epochs: int) -> Every:
    """The epochs of a run of `epochs` that get a console line (or progress bar): every
    epoch of runs of up to EPOCHS_SHOWN_PER_RUN epochs, else about that many, the first
    and the last always."""
    return Every.about(EPOCHS_SHOWN_PER_RUN, epochs, first=True, last=True)


def readable(value: float) -> str:
    """An epoch log as the tutorial prints it (`8.28051`), in scientific notation where five
    decimals would hide it or bury it in digits (`7.50041e+25`, `1.23457e-07`)."""
    value = float(value)
    if value == 0 or not math.isfinite(value) or 1e-4 <= abs(value) < 1e6:
        return f"{value:.5f}"
    return f"{value:.5e}"


class EpochReport(EpochCallback):
    """Logs each shown epoch's logs with the scalar variables as they were when the
    epoch began, which is what the tutorial prints.

    It reads the variables at the start of the epochs it shows (the
    hand-written loop begins a call there) and prints at their end from the logs.
    """

    model_at_epoch_end = NEVER

    def __init__(self, epochs: int):
        super().__init__()
        self.acts_on = self.model_at_epoch_start = console_epochs(epochs)
        self._scalars_at_start: list[tuple[str, float]] = []

    def on_epoch_begin(self, epoch, logs=None):
        if not self.acts_at(epoch):
            return
        self._scalars_at_start = [
            (variable.name, float(np.asarray(variable.numpy()).reshape(())))
            for variable in self.model.trainable_variables
            if np.prod(variable.shape, dtype=int) == 1
        ]

    def on_epoch_end(self, epoch, logs=None):
        if not self.acts_at(epoch):
            return
        logs = logs or {}
        scalars = " ".join(f"{name}={value:1.2f}" for name, value in self._scalars_at_start)
        metrics = ", ".join(f"{name}={readable(value)}" for name, value in logs.items())
        log.info("Epoch %2d: %s", epoch, f"{scalars}, {metrics}" if scalars else metrics)
