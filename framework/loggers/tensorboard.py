"""TensorBoard logging shared by every strategy.

Tags and steps (the step is always the optimizer's global step, so a tag
means the same thing under every strategy):
    epoch/<metric>     epoch logs: loss, val_loss...
    epoch/learning_rate
    step/loss          running epoch loss every `logger.log_every_n_steps` steps
    variables/<path>   each trainable variable: scalars as scalars, tensors as
                       histograms; also written once before training starts

Every write is a tf.summary op guarded by `record_if`, so the same code runs
eagerly (fit) and inside the tape strategy's compiled loop.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator

import keras
import tensorflow as tf

from framework.config.schema import ComponentConfig
from framework.loggers.base import LoggerContext, RunLogger
from framework.registry import LOGGERS

# A flush is a file write: strategies ask at every graph call or epoch, which
# for small models is thousands of times a second.
_FLUSH_SECONDS = 1.0


class TensorBoardLoggerConfig(ComponentConfig):
    """Attributes:
    histograms: Logs non-scalar variables as histograms.
    """

    histograms: bool


@LOGGERS.register("tensorboard", config=TensorBoardLoggerConfig)
class TensorBoardLogger(RunLogger):
    """Writes scalars and histograms into the run directory's events folder with tf.summary."""

    def __init__(self, context: LoggerContext, histograms: bool):
        self.log_dir = context.run_dir.events
        self.cadence = context.cadence
        self.histograms = histograms
        self._writer: tf.summary.SummaryWriter | None = None
        self._model: keras.Model | None = None
        self._last_flush = 0.0

    def open(self, model: keras.Model, epochs: int) -> None:
        self._model = model
        self._writer = tf.summary.create_file_writer(str(self.log_dir))
        step = model.optimizer.iterations
        if int(step.numpy()) == 0:  # a resumed run has these already
            with self._writing(step):
                self._write_variables([variable.value for variable in model.trainable_variables])
        self._writer.flush()
        self._last_flush = time.monotonic()

    def log_step(self, step, loss) -> None:
        with self._writing(step):
            tf.summary.scalar("step/loss", loss)

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        with self._writing(step):
            for name, value in logs.items():
                tf.summary.scalar(f"epoch/{name}", value)
            tf.summary.scalar("epoch/learning_rate", learning_rate)
            self._write_variables(variables)

    def flush(self) -> None:
        if self._writer is not None and time.monotonic() - self._last_flush >= _FLUSH_SECONDS:
            self._writer.flush()
            self._last_flush = time.monotonic()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @contextlib.contextmanager
    def _writing(self, step) -> Iterator[None]:
        # Summaries take the enclosing name scope as a tag prefix; inside the
        # tape strategy's loop that is "while/", so tags are written from the
        # root scope to read the same under every strategy.
        with self._writer.as_default(step=step), tf.compat.v1.name_scope(None):
            yield

    def _write_variables(self, values: list) -> None:
        for variable, value in zip(self._model.trainable_variables, values):
            tag = f"variables/{variable.path}"
            if math.prod(variable.shape) == 1:
                tf.summary.scalar(tag, tf.reshape(value, ()))
            elif self.histograms:
                tf.summary.histogram(tag, value)
