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

Records given on the host (`write_epoch`, `write_step`) are written with the
`tensorboard` package's own event writer (event_files.EventFile), with no
TensorFlow. The TensorFlow loops write the same records with tf.summary
inside their compiled code (framework.backends.tensorflow.graph_records),
which has the logger write through a tf.summary writer instead
(`write_events_with`), so a process writes one events file either way. The
logger also owns what only TensorBoard needs: restart markers when a run
resumes over events it wrote before (event_files.mark_restart), a warning
when its directory stops taking events, and the end-of-run HParams, test
scalars and pictures.
"""

from __future__ import annotations

import json
import logging
import math
import os
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from framework.loggers.base import LoggerContext, RunLogger, RunOutcome
from framework.loggers.event_files import EventFile, mark_restart
from framework.registry import LOGGERS
from framework.registry.schema import ComponentConfig
from framework.result import RunResult
from framework.run_directory import RunDirectory

if TYPE_CHECKING:
    import keras

log = logging.getLogger("framework")

# A flush is a file write: strategies ask at every graph call or epoch, which
# for small models is thousands of times a second. The directory is checked as often.
_FLUSH_SECONDS = 1.0

HParamValue = bool | int | float | str


class Events(Protocol):
    """Where the logger writes its records: an EventFile, or on TensorFlow a tf.summary writer."""

    def scalar(self, tag: str, value: Any, step: int) -> None: ...

    def histogram(self, tag: str, values: Any, step: int) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class TensorBoardLoggerConfig(ComponentConfig):
    """Attributes:
    histograms: Logs non-scalar variables as histograms.
    """

    histograms: bool


@LOGGERS.register("tensorboard", config=TensorBoardLoggerConfig)
class TensorBoardLogger(RunLogger):
    """Writes scalars and histograms into the run directory's events folder."""

    def __init__(self, context: LoggerContext, histograms: bool):
        self.log_dir = context.run_dir.events
        self.cadence = context.cadence
        self.config = context.config
        self.histograms = histograms
        self.events: Events | None = None  # from open() to close()
        self._new_events: Callable[[Path], Events] = EventFile
        self._model: keras.Model | None = None
        self._last_flush = 0.0
        self._lost: str | None = None  # why events stopped reaching the directory, once noticed

    def write_events_with(self, new_events: Callable[[Path], Events]) -> None:
        """Has `open` write through `new_events(log_dir)` instead of an EventFile (before `open`)."""
        if self._model is not None and new_events is not self._new_events:
            raise RuntimeError("TensorBoardLogger.write_events_with must be called before open()")
        self._new_events = new_events

    def open(self, model: keras.Model, epochs: int) -> None:
        self._model = model
        step = int(np.asarray(model.optimizer.iterations))
        # A resumed run continues over events its stopped process wrote: those after its checkpoint are dropped.
        mark_restart(self.log_dir, step if step else -1)
        self.events = self._new_events(self.log_dir)
        if step == 0:  # a resumed run has these already
            self._write_variables(step, [np.asarray(variable) for variable in model.trainable_variables])
        self.events.flush()
        self._last_flush = time.monotonic()

    def write_step(self, step: int, loss: float) -> None:
        self.events.scalar("step/loss", loss, step)

    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        for name, value in values.items():  # the logs, then learning_rate
            self.events.scalar(f"epoch/{name}", value, step)
        self._write_variables(step, variables)

    def write_validation(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():  # the epoch's tags: one curve on the step axis
            self.events.scalar(f"epoch/{name}", value, step)

    def variable_records(self) -> list[tuple[int, str, bool]]:
        """(index in the model's trainable variables, tag, is a scalar) of each variable
        written: scalars as scalars, tensors as histograms when `histograms` is on."""
        records = []
        for index, variable in enumerate(self._model.trainable_variables):
            scalar = math.prod(variable.shape) == 1
            if scalar or self.histograms:
                records.append((index, f"variables/{variable.path}", scalar))
        return records

    def flush(self) -> None:
        if self.events is not None and time.monotonic() - self._last_flush >= _FLUSH_SECONDS:
            self.events.flush()
            self._last_flush = time.monotonic()
            self._watch_directory()

    def close(self) -> None:
        if self.events is not None:
            self.events.close()
            self.events = None
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

    def _write_variables(self, step: int, values: Sequence[np.ndarray]) -> None:
        for index, tag, scalar in self.variable_records():
            if scalar:
                self.events.scalar(tag, np.reshape(values[index], ()), step)
            else:
                self.events.histogram(tag, values[index], step)

    def _watch_directory(self) -> None:
        """Warns once when events stop reaching the directory: event writers drop them
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
