"""The fit strategy's bridge to the run's logger on JAX: the due epochs' records,
handed over from the host as Python numbers and NumPy arrays."""

from __future__ import annotations

import math

import keras

from framework.loggers.run_records import LEARNING_RATE, VARIABLES


class HostLoggerCallback(keras.callbacks.Callback):
    """Gives the logger and the run's records what the hand-written loop gives them,
    at the same epochs and steps (framework.backends.record_schedule)."""

    def __init__(self, job):
        super().__init__()
        self.job = job
        self.writes = 0
        self._first_step = 0
        self._first_epoch: int | None = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.job.logger.open(self.model, self.job.epochs)
        self._first_step = int(self.model.optimizer.iterations.numpy())
        self._scalars = [i for i, v in enumerate(self.model.trainable_variables) if math.prod(v.shape) == 1]

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        step = self._steps_before(self._epoch) + batch + 1
        if self.job.records.step_due(step):
            self.job.logger.write_step(step, float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        job = self.job
        logged, kept = job.records.epoch_due(epoch), job.run_records.schedule.due(epoch, job.run_records.epochs)
        if not (logged or kept):
            return
        learning_rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        variables = [keras.ops.convert_to_numpy(v.value) for v in self.model.trainable_variables]
        values = {name: float(value) for name, value in (logs or {}).items()}
        if kept:
            scalars = {f"{VARIABLES}{self.model.trainable_variables[i].path}": float(variables[i].reshape(())) for i in self._scalars}
            job.run_records.add(epoch, {**values, LEARNING_RATE: learning_rate, **scalars})
        if logged:
            step = self._steps_before(epoch) + self.params["steps"]
            job.logger.write_epoch(step, epoch, {**values, LEARNING_RATE: learning_rate}, variables)
            self.writes += 1
        job.logger.flush()

    def write_pending(self) -> None:
        """Nothing waits: each record is written when its epoch ends."""
        self.job.logger.flush()

    def loop_stats(self) -> dict[str, int]:
        return {"logger_writes": self.writes}

    def _steps_before(self, epoch: int) -> int:
        return self._first_step + (epoch - (self._first_epoch or 0)) * self.params["steps"]
