"""One logger for the strategies, many for the user: `logger=[tensorboard,mlflow,csv]`.

The strategies call one RunLogger. A FanOutLogger passes each call on to every
selected logger with the same values, so each writes the same records at the
same steps under every strategy. Loggers that take no step records (CSV) are
left out of `write_step` (and, on TensorFlow, out of the graph when it is
traced, not by a branch in it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from framework.config.logger_selection import LoggerSelection
from framework.errors import TrainingInterrupted
from framework.loggers.base import Cadence, LoggerContext, RunLogger, RunOutcome
from framework.run_directory import RunDirectory

if TYPE_CHECKING:
    import keras


class FanOutLogger(RunLogger):
    """Calls every logger in `loggers` at each point, in order; its cadence is what any of them wants."""

    def __init__(self, loggers: list[RunLogger]):
        self.loggers = loggers
        self.epoch_loggers = [logger for logger in loggers if logger.cadence.every_n_epochs is not None]
        self.step_loggers = [logger for logger in loggers if logger.cadence.every_n_steps]
        # Built from one shared cadence, the loggers differ only in which kinds of records they take.
        self.cadence = Cadence(
            every_n_epochs=self.epoch_loggers[0].cadence.every_n_epochs if self.epoch_loggers else None,
            every_n_steps=self.step_loggers[0].cadence.every_n_steps if self.step_loggers else 0,
        )
        self.takes_variables = any(logger.takes_variables for logger in self.epoch_loggers)

    @classmethod
    def build(
        cls, selection: LoggerSelection, run_dir: RunDirectory, config: Mapping[str, Any], initial_epoch: int,
        examples_per_epoch: int, group: str | None = None,
    ) -> FanOutLogger:
        """The selected loggers, each built with the same LoggerContext."""
        settings = selection.settings
        cadence = Cadence(every_n_epochs=settings.log_every_n_epochs, every_n_steps=settings.log_every_n_steps)
        context = LoggerContext(run_dir, cadence, config, initial_epoch, examples_per_epoch, group)
        return cls(selection.build(context=context))

    def open(self, model: keras.Model, epochs: int) -> None:
        for logger in self.loggers:
            logger.open(model, epochs)

    def write_step(self, step: int, loss: float) -> None:
        for logger in self.step_loggers:
            logger.write_step(step, loss)

    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        for logger in self.epoch_loggers:
            logger.write_epoch(step, epoch, values, variables if logger.takes_variables else ())

    def write_validation(self, step: int, values: dict[str, float]) -> None:
        for logger in self.epoch_loggers:
            logger.write_validation(step, values)

    def flush(self) -> None:
        for logger in self.loggers:
            logger.flush()

    def close(self) -> None:
        for logger in self.loggers:
            logger.close()

    def end(self, outcome: RunOutcome, run_dir: RunDirectory) -> None:
        for logger in self.loggers:
            logger.end(outcome, run_dir)


@contextlib.contextmanager
def ending_run(logger: RunLogger, run_dir: RunDirectory) -> Iterator[None]:
    """Ends the logger's run when the block ends: FINISHED, KILLED by a signal, or FAILED."""
    try:
        yield
    except TrainingInterrupted:
        logger.end(RunOutcome.KILLED, run_dir)
        raise
    except Exception:  # any failure, bug or user error: the tracked run is marked failed, and the error goes on
        logger.end(RunOutcome.FAILED, run_dir)
        raise
    logger.end(RunOutcome.FINISHED, run_dir)
