"""TensorBoard logging shared by every strategy.

Tags and steps (the step is always the optimizer's global step, so a tag
means the same thing under every strategy):
    epoch/<metric>     epoch logs: loss, val_loss...
    epoch/learning_rate
    step/loss          running epoch loss every `logger.log_every_n_steps` steps
    variables/<path>   each trainable variable: scalars as scalars, tensors as
                       histograms; also written once before training starts
    test/<metric>      the test split's values, once, at the end
    plots/<name>       the end-of-run plots, as images
and the run's config as HParams, so a sweep's runs compare in the HParams tab.

Every record during training is a tf.summary op guarded by `record_if`, so
the same code runs eagerly (fit) and inside the tape strategy's compiled
loop. The logger also owns what only TensorBoard needs: restart markers
when a run resumes over events it wrote before (event_files.mark_restart),
a warning when its directory stops taking events, and the end-of-run HParams,
test scalars and pictures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import struct
import time
from collections.abc import Iterator, Mapping
from typing import Any

import keras
import tensorflow as tf

from framework.loggers.base import LoggerContext, RunLogger, RunOutcome
from framework.loggers.event_files import EventFile, mark_restart
from framework.registry import LOGGERS
from framework.registry.schema import ComponentConfig
from framework.result import RunResult
from framework.run_directory import RunDirectory

log = logging.getLogger("framework")

# A flush is a file write: strategies ask at every graph call or epoch, which
# for small models is thousands of times a second. The directory is checked as often.
_FLUSH_SECONDS = 1.0

HParamValue = bool | int | float | str


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
        self.config = context.config
        self.histograms = histograms
        self._writer: tf.summary.SummaryWriter | None = None
        self._model: keras.Model | None = None
        self._last_flush = 0.0
        self._lost: str | None = None  # why events stopped reaching the directory, once noticed

    def open(self, model: keras.Model, epochs: int) -> None:
        self._model = model
        step = int(model.optimizer.iterations.numpy())
        # A resumed run continues over events its stopped process wrote: those after its checkpoint are dropped.
        mark_restart(self.log_dir, step if step else -1)
        self._writer = tf.summary.create_file_writer(str(self.log_dir))
        if step == 0:  # a resumed run has these already
            with self._writing(model.optimizer.iterations):
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
            self._watch_directory()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._watch_directory()

    def end(self, outcome: RunOutcome, run_dir: RunDirectory) -> None:
        if outcome is not RunOutcome.FINISHED or not run_dir.summary.is_file() or self._lost:
            return
        result = RunResult.read(run_dir.summary)
        report = EventFile(self.log_dir, suffix=".report")
        try:
            report.hparams(flatten_config({**self.config, "parameters": result.parameters}))
            for name, value in result.metrics.items():
                if name.startswith("test_") and value is not None:  # evaluated once, after training
                    report.scalar(f"test/{name.removeprefix('test_')}", value, result.global_step)
            for path in run_dir.plots():
                width, height = _png_size(path.read_bytes())
                report.image(f"plots/{path.stem}", path.read_bytes(), width, height, result.global_step)
        finally:
            report.close()

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

    def _watch_directory(self) -> None:
        """Warns once when events stop reaching the directory: TensorFlow's writer drops them
        silently when its file disappears or its directory stops being writable. Training
        goes on (the checkpoints are what resuming needs); the user should know the curves stop."""
        if self._lost is not None:
            return
        if not self.log_dir.is_dir():
            self._lost = f"{self.log_dir} was removed"
        elif not os.access(self.log_dir, os.W_OK):
            self._lost = f"{self.log_dir} is not writable"
        elif not any(self.log_dir.glob("*tfevents*")):
            self._lost = f"the events files in {self.log_dir} were removed"
        if self._lost is not None:
            log.warning(
                "TensorBoard events cannot be written any more: %s. Training goes on and checkpoints "
                "are still saved; the curves stop here. Restore the directory (or its "
                "permissions) and resume the run to log again.",
                self._lost,
            )


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, HParamValue]:
    """Nested config -> {"dotted.key": value}; values HParams cannot hold become JSON text."""
    flat: dict[str, HParamValue] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, prefix=f"{name}."))
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        else:  # lists (model.layers, plugins), None
            flat[name] = json.dumps(value)
    return flat


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    return struct.unpack(">II", png[16:24])
