"""The run's logger, fed from inside the TensorFlow loops' compiled code.

Loggers take their records on the host (RunLogger.write_step, write_epoch).
The TensorFlow loops record inside their compiled code instead, without
returning to Python: `graph_records(logger)` gives them graph-safe
`log_step(step, loss)` and `log_epoch(step, epoch, logs, learning_rate,
variables)` taking tensors, which write the same records with the same
values as the host path:

    TensorBoardLogger  tf.summary ops in the graph, through a tf.summary
                       writer the logger also writes its own records with
    FanOutLogger       each of its loggers' graph records, at its cadence
    any other logger   one tf.py_function per record into write_step /
                       write_epoch (records are thinned, at most about 1000
                       a run by default, so the steps between records stay
                       free of Python)

Build it before the logger's `open()`: a TensorBoard logger then opens its
events with the tf.summary writer, so the run writes one events file.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import tensorflow as tf

from framework.loggers.base import RunLogger
from framework.loggers.fan_out import FanOutLogger
from framework.loggers.run_records import LEARNING_RATE
from framework.loggers.tensorboard import TensorBoardLogger


class GraphRecords(Protocol):
    """A logger's records as graph ops: tensors in, nothing out."""

    def log_step(self, step, loss) -> None:
        """After optimizer step `step`, a due step: the running epoch loss."""

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        """After epoch `epoch`, a due epoch, which ended at optimizer step `step`; `variables`
        are the model's trainable variables' values, in their order."""


@functools.singledispatch
def graph_records(logger: RunLogger) -> GraphRecords:
    """`logger`'s records as graph ops (the first built before `logger.open()`)."""
    return _HostRecords(logger)


@graph_records.register
def _(logger: FanOutLogger) -> GraphRecords:
    return _FanOutRecords(logger)


@graph_records.register
def _(logger: TensorBoardLogger) -> GraphRecords:
    return _SummaryRecords(logger)


class _HostRecords:
    """Hands each record to the logger's host methods through one tf.py_function."""

    def __init__(self, logger: RunLogger):
        self.logger = logger

    def log_step(self, step, loss) -> None:
        tf.py_function(lambda step, loss: self.logger.write_step(int(step), float(loss)), [step, loss], [])

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        names = [*logs, LEARNING_RATE]
        variables = variables if self.logger.takes_variables else []  # trackers take scalars only

        def receive(step, epoch, *tensors):
            values = {name: float(value) for name, value in zip(names, tensors)}
            self.logger.write_epoch(int(step), int(epoch), values, [value.numpy() for value in tensors[len(names) :]])

        values = [tf.cast(value, tf.float32) for value in (*logs.values(), learning_rate)]
        tf.py_function(receive, [step, epoch, *values, *variables], [])


class _FanOutRecords:
    """Each of a FanOutLogger's loggers' graph records, for the records each takes."""

    def __init__(self, logger: FanOutLogger):
        self._epoch = [graph_records(each) for each in logger.epoch_loggers]
        self._step = [graph_records(each) for each in logger.step_loggers]

    def log_step(self, step, loss) -> None:
        for records in self._step:
            records.log_step(step, loss)

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        for records in self._epoch:
            records.log_epoch(step, epoch, logs, learning_rate, variables)


class _SummaryRecords:
    """A TensorBoard logger's records as tf.summary ops, written by its SummaryEvents."""

    def __init__(self, logger: TensorBoardLogger):
        self.logger = logger
        logger.write_events_with(SummaryEvents)

    def log_step(self, step, loss) -> None:
        with self.logger.events.writing(step):
            tf.summary.scalar("step/loss", loss)

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        with self.logger.events.writing(step):
            for name, value in logs.items():
                tf.summary.scalar(f"epoch/{name}", value)
            tf.summary.scalar(f"epoch/{LEARNING_RATE}", learning_rate)
            for index, tag, scalar in self.logger.variable_records():
                if scalar:
                    tf.summary.scalar(tag, tf.reshape(variables[index], ()))
                else:
                    tf.summary.histogram(tag, variables[index])


class SummaryEvents:
    """A TensorBoard logger's events written with a tf.summary writer: eagerly for the
    logger's own host records, and by the graph ops of `_SummaryRecords` through `writing`."""

    def __init__(self, log_dir: Path):
        self._writer = tf.summary.create_file_writer(str(log_dir))

    @contextlib.contextmanager
    def writing(self, step) -> Iterator[None]:
        """The context in which tf.summary ops write here at `step` (a tensor or a number)."""
        # Summaries take the enclosing name scope as a tag prefix; inside the
        # tape strategy's loop that is "while/", so tags are written from the
        # root scope to read the same under every strategy.
        with self._writer.as_default(step=step), tf.compat.v1.name_scope(None):
            yield

    def scalar(self, tag: str, value: Any, step: int) -> None:
        with self.writing(step):
            tf.summary.scalar(tag, value)

    def histogram(self, tag: str, values: Sequence[Any], step: int) -> None:
        with self.writing(step):
            tf.summary.histogram(tag, values)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

