"""One line per epoch, in the tutorial's words: `Epoch  0: W=5.00 b=0.00, loss=...`."""

from __future__ import annotations

import logging
import math

import numpy as np

from framework.strategies.live_model import SCALARS_AT_EPOCH_START, EpochCallback

log = logging.getLogger("framework")

# Beyond this many epochs the console thins out to about this many epochs,
# always keeping the first and the last: a long run's console stays readable,
# and printing stays a small part of epochs that take microseconds.
EPOCHS_SHOWN_PER_RUN = 100


def readable(value: float) -> str:
    """An epoch log as the tutorial prints it (`8.28051`), in scientific notation where five
    decimals would hide it or bury it in digits (`7.50041e+25`, `1.23457e-07`)."""
    value = float(value)
    if value == 0 or not math.isfinite(value) or 1e-4 <= abs(value) < 1e6:
        return f"{value:.5f}"
    return f"{value:.5e}"


def shown_on_console(epoch: int, epochs: int) -> bool:
    """Whether `epoch` of a run of `epochs` gets its console line (or progress bar):
    every epoch of runs of up to EPOCHS_SHOWN_PER_RUN epochs; for longer runs every
    N-th epoch (N = epochs / EPOCHS_SHOWN_PER_RUN, rounded up), the first and the last."""
    interval = max(1, math.ceil(epochs / EPOCHS_SHOWN_PER_RUN))
    return epoch == 0 or (epoch + 1) % interval == 0 or epoch == epochs - 1


class EpochReport(EpochCallback):
    """Logs each due epoch's logs with the scalar variables as they were when the
    epoch began, which is what the tutorial prints.

    The epochs `shown_on_console` get a line: every epoch of a short run, about
    a hundred of a long one, the first and the last always.
    The start values come from the tape strategy's compiled call
    (SCALARS_AT_EPOCH_START), so the report never ends a graph call; under fit
    the model is read where it is live, at the start of a due epoch.
    """

    reads_scalars_at_epoch_start = True
    reads_live_model = False

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs
        self._scalars_at_start: list[tuple[str, float]] = []

    def on_epoch_begin(self, epoch, logs=None):
        if not shown_on_console(epoch, self.epochs):
            return
        if logs and SCALARS_AT_EPOCH_START in logs:
            self._scalars_at_start = logs[SCALARS_AT_EPOCH_START]
        else:
            self._scalars_at_start = [
                (variable.name, float(np.asarray(variable.numpy()).reshape(())))
                for variable in self.model.trainable_variables
                if np.prod(variable.shape, dtype=int) == 1
            ]

    def on_epoch_end(self, epoch, logs=None):
        if not shown_on_console(epoch, self.epochs):
            return
        logs = logs or {}
        scalars = " ".join(f"{name}={value:1.2f}" for name, value in self._scalars_at_start)
        metrics = ", ".join(f"{name}={readable(value)}" for name, value in logs.items())
        log.info("Epoch %2d: %s", epoch, f"{scalars}, {metrics}" if scalars else metrics)
