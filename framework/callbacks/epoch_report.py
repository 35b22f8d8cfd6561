"""One line per epoch, in the tutorial's words: `Epoch  0: W=5.00 b=0.00, loss=...`."""

from __future__ import annotations

import logging

import numpy as np

from framework.strategies.live_model import EpochCallback

log = logging.getLogger("framework")


class EpochReport(EpochCallback):
    """Logs each epoch's loss with the scalar variables as they were when the
    epoch began, which is what the tutorial prints."""

    def on_epoch_begin(self, epoch, logs=None):
        self._scalars_at_start = [
            (variable.name, float(np.asarray(variable.numpy()).reshape(())))
            for variable in self.model.trainable_variables
            if np.prod(variable.shape, dtype=int) == 1
        ]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        scalars = " ".join(f"{name}={value:1.2f}" for name, value in self._scalars_at_start)
        metrics = ", ".join(f"{name}={float(value):2.5f}" for name, value in logs.items())
        log.info("Epoch %2d: %s", epoch, f"{scalars}, {metrics}" if scalars else metrics)
