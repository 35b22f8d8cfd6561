"""Validation inside epochs, every N optimizer steps (validation.every_n_steps).

On the weights as they are after the step, with Keras's `evaluate` (what
`fit` validates with at an epoch's end, and what the hand-written loop's
epoch validation equals), and handed to the logger at the global step under
the epoch validation's names, so TensorBoard draws one curve on the step
axis. A step that ends an epoch has the epoch's own validation there.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from framework.data.batches import PartBatches
from framework.data.source import DataSource
from framework.loggers.base import RunLogger
from framework.schedules import EveryNStepsInsideEpochs


class StepValidation:
    """Validates `data`'s validation part at `steps` and hands the logs to `logger`."""

    def __init__(self, steps: EveryNStepsInsideEpochs, data: DataSource, logger: RunLogger):
        self.steps = steps
        self.data = data
        self.logger = logger

    def validate(self, model: keras.Model, step: int, running: Sequence[keras.Variable] = ()) -> dict[str, float]:
        """Validates `model` after optimizer step `step` and logs it; returns the logs.

        `evaluate` resets the compiled metrics, which under `fit` hold the running
        epoch's loss and metrics: the variables in `running` are kept and put back.
        """
        kept = [keras.ops.convert_to_numpy(variable.value) for variable in running]
        results = model.evaluate(PartBatches(self.data, "validation"), verbose=0, return_dict=True)
        for variable, value in zip(running, kept):
            variable.assign(value)
        logs = {f"val_{name}": float(value) for name, value in results.items()}
        self.logger.write_validation(step, logs)
        return logs
