"""The fit strategy's bridge to the run's logger: a Keras callback that gives the
logger the records the tape strategy gives it inside its graph."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import keras
import tensorflow as tf

from framework.backends.record_schedule import RecordSchedule
from framework.backends.tensorflow.graph_records import graph_records
from framework.loggers.base import RunLogger
from framework.loggers.run_records import LEARNING_RATE, VARIABLES, RunRecords

# Records are written in batches about this often: one compiled call per
# record would cost as much as a training step of a small model.
_WRITE_SECONDS = 1.0


@dataclass
class _EpochRecord:
    step: int
    epoch: int
    logs: dict[str, float]
    learning_rate: tf.Tensor
    variables: list[tf.Tensor]


class LoggerCallback(keras.callbacks.Callback):
    """Calls the logger with what the tape strategy gives it inside its graph.

    A due epoch's logs, learning rate and variable values are snapshotted
    (one compiled call, no device sync) and written in batches by one compiled function, at
    most about once a second and when training ends. The batch hook is safe
    on Keras's callback threads (`async_safe`), so Keras keeps dispatching
    training steps without waiting for it.
    """

    async_safe = True

    def __init__(self, logger: RunLogger, records: RecordSchedule, run_records: RunRecords):
        super().__init__()
        self.logger = logger
        self.records = records
        self.run_records = run_records
        # Partials, not bound methods: TensorFlow counts traces by code object, so
        # runs in one process (sweeps, notebooks) would add up to a false retracing warning.
        self._log_step = tf.function(functools.partial(graph_records(logger).log_step), autograph=False)
        self._snapshot: tf.types.experimental.ConcreteFunction | None = None
        # Compiled at the first write with a signature of any number of records,
        # so it traces once per run whatever the batch sizes.
        self._write_records: tf.types.experimental.PolymorphicFunction | None = None
        self.writes = 0
        self._pending: list[_EpochRecord] = []
        self._last_write = 0.0
        self._first_step = 0
        self._first_epoch: int | None = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.logger.open(self.model, self.records.epochs)
        # The concrete function: no signature matching per call (about a fifth of a call's cost).
        self._snapshot = tf.function(functools.partial(_snapshot, self.model), autograph=False).get_concrete_function()
        self._first_step = int(self.model.optimizer.iterations.numpy())
        self._scalar_indices = [i for i, v in enumerate(self.model.trainable_variables) if math.prod(v.shape) == 1]
        self._last_write = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        # Keras may run this on several threads at once while the optimizer is
        # ahead, so the step comes from the batch index; Keras finishes an
        # epoch's batch hooks before the next epoch begins, so _epoch is stable.
        step = self._steps_before(self._epoch) + batch + 1
        if self.records.step_due(step):
            self._log_step(tf.constant(step, tf.int64), tf.constant(float(logs["loss"])))

    def on_epoch_end(self, epoch, logs=None):
        logged, kept = self.records.epoch_due(epoch), self.run_records.schedule.due(epoch, self.run_records.epochs)
        if kept or logged:
            learning_rate, variables = self._snapshot()
        if kept:
            scalars = {f"{VARIABLES}{self.model.trainable_variables[i].path}": variables[i] for i in self._scalar_indices}
            self.run_records.add(epoch, {**(logs or {}), LEARNING_RATE: learning_rate, **scalars})
        if logged:
            self._pending.append(
                _EpochRecord(
                    step=self._steps_before(epoch) + self.params["steps"],
                    epoch=epoch,
                    logs={name: float(value) for name, value in (logs or {}).items()},
                    learning_rate=learning_rate,
                    variables=variables,
                )
            )
        if time.monotonic() - self._last_write >= _WRITE_SECONDS:
            self.write_pending()

    def on_train_end(self, logs=None):
        self.write_pending()

    def write_pending(self) -> None:
        """Writes the records not written yet; the strategy also calls it when training fails."""
        if self._pending:
            records, self._pending = self._pending, []
            arguments = (
                tf.constant([r.step for r in records], tf.int64),
                tf.constant([r.epoch for r in records], tf.int64),
                {name: tf.constant([r.logs[name] for r in records], tf.float32) for name in records[0].logs},
                tf.stack([r.learning_rate for r in records]),
                [tf.stack(values) for values in zip(*(r.variables for r in records))],
            )
            if self._write_records is None:
                signature = tf.nest.map_structure(lambda t: tf.TensorSpec([None, *t.shape[1:]], t.dtype), arguments)
                self._write_records = tf.function(
                    functools.partial(_write_records, self.logger), input_signature=signature, autograph=False
                )
            self._write_records(*arguments)
            self.writes += 1
        self.logger.flush()
        self._last_write = time.monotonic()

    def loop_stats(self) -> dict[str, int]:
        """How the records were written: compiled writes, and traces of the write (one per run)."""
        return {"logger_writes": self.writes, "logger_traces": self.tracing_count}

    @property
    def tracing_count(self) -> int:
        """Traces of the compiled write: one per run once anything was written."""
        return 0 if self._write_records is None else self._write_records.experimental_get_tracing_count()

    def _steps_before(self, epoch: int) -> int:
        """Optimizer steps taken before `epoch` began: every epoch has the same number."""
        return self._first_step + (epoch - (self._first_epoch or 0)) * self.params["steps"]


def _snapshot(model: keras.Model) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """The learning rate and every trainable variable's value as they are now: one
    compiled call instead of an eager read each (about 25 us apiece)."""
    return tf.identity(model.optimizer.learning_rate), [tf.identity(v.value) for v in model.trainable_variables]


def _write_records(logger: RunLogger, steps, epochs, logs, learning_rates, variables) -> None:
    """Gives `logger` each of a batch of epoch records, inside one compiled call."""

    def write(index):
        graph_records(logger).log_epoch(
            steps[index],
            epochs[index],
            {name: values[index] for name, values in logs.items()},
            learning_rates[index],
            [values[index] for values in variables],
        )
        return index + 1

    tf.while_loop(lambda index: index < tf.shape(steps)[0], write, (tf.constant(0),))
