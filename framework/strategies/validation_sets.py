"""The extra validation sets in each loop: evaluated on the host at every epoch's end, with the live model.

Their values join the epoch's logs before anyone reads them, so the logger,
the run's records (plots, summary.json), the History and every callback see
`val_<set>_<value>` beside `val_loss`, under both strategies and on every backend:

- `fit`: `EvaluateValidationSets` is the first callback after the NaN check;
  Keras hands every later callback (the logger's among them) the same logs dict.
- the hand-written loop: `ValidationSetsInLoop` ends a compiled call at every
  epoch (the model must be live), adds the values to the call's logs, and
  writes the epoch's logger record itself from the host, since the loop's own
  record (written inside compiled code on TensorFlow) would lack them; the loop
  is handed a job whose logger takes step records only.
"""

from __future__ import annotations

import dataclasses
import keras
from framework.backends import selected
from framework.backends.job import TrainingJob
from framework.loggers.base import Cadence, RunLogger
from framework.loggers.run_records import LEARNING_RATE
from framework.schedules import EVERY_EPOCH, Schedule


class EvaluateValidationSets(keras.callbacks.Callback):
    """Under `fit`: adds the sets' values to each epoch's logs, for the callbacks after it."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job

    def on_epoch_end(self, epoch, logs=None):
        logs.update(self.job.validation_sets.evaluate(self.model, selected().evaluation_input))


class ValidationSetsInLoop:
    """Under the hand-written loop: the job its compiled epochs run, where its calls end,
    and each call's logs with the sets' values (a job without sets passes through)."""

    def __init__(self, job: TrainingJob):
        self.job = job
        self.active = bool(job.validation_sets)
        self.loop_job = dataclasses.replace(job, logger=_StepRecordsOnly(job.logger)) if self.active else job

    def call_ends(self, other_ends: Schedule | None) -> Schedule | None:
        """The epochs after which a call ends: every epoch with sets, else `other_ends`."""
        return EVERY_EPOCH if self.active else other_ends

    def with_values(
        self, epoch: int, logs: dict[str, list[float]], recorded: dict[str, list[float]], finite: bool
    ) -> dict[str, list[float]]:
        """A call's per-epoch `logs` (one epoch, `epoch`) with the sets' values, its logger
        record written if due; as they are without sets or when the loss stopped being finite."""
        if not self.active or not finite:
            return logs
        job = self.job
        values = {name: column[-1] for name, column in logs.items()}
        values |= job.validation_sets.evaluate(job.model, selected().evaluation_input)
        if job.records.epoch_due(epoch):
            variables = [keras.ops.convert_to_numpy(v.value) for v in job.model.trainable_variables] if job.logger.takes_variables else []
            step = int(job.optimizer.iterations.numpy())
            job.logger.write_epoch(step, epoch, {**values, LEARNING_RATE: recorded[LEARNING_RATE][-1]}, variables)
        return {name: [value] for name, value in values.items()}


class _StepRecordsOnly(RunLogger):
    """The run's logger as the loop sees it when epoch records are written from the host:
    its step records pass through, it wants no epoch records (the one who opens, closes
    and ends the run's logger is the strategy, on the job's own)."""

    takes_variables = False

    def __init__(self, logger: RunLogger):
        self.logger = logger
        self.cadence = Cadence(every_n_epochs=None, every_n_steps=logger.cadence.every_n_steps)

    def write_step(self, step: int, loss: float) -> None:
        self.logger.write_step(step, loss)

    def flush(self) -> None:
        self.logger.flush()
