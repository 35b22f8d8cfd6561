"""What a loop is handed: everything about *what* to train, independent of how the loop is written."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import keras

from framework.backends.record_schedule import RecordSchedule
from framework.data.source import DataSource
from framework.data.validation_sets import ValidationSets
from framework.errors import NonFiniteLossError
from framework.loggers.base import RunLogger
from framework.loggers.run_records import RunRecords


@dataclass
class TrainingJob:
    """The components of one run, independent of how the loop is written.

    Attributes:
        model: The Keras model to train (built).
        loss: The Keras loss.
        optimizer: The Keras optimizer.
        data: The data source; each epoch is one pass over its training examples.
        epochs: Train until this many epochs are done.
        logger: Records the run; every strategy calls it at the same points.
        callbacks: Keras callbacks; every strategy calls them for every epoch.
        metrics: Builds a fresh set of the run's Keras metrics (the `metrics`
            list), each named by its key; a strategy builds a set for each use.
        verbose: 0 silent, 1 Keras's progress bar; other values leave the
            console to the callbacks (the epoch report).
        initial_epoch: Epochs already done (a resumed run), also the optimizer's
            position: every epoch has the same number of steps.
        stop_requested: Asked at epoch boundaries where the model is whole (the
            tape strategy: between graph calls); True ends training there, as
            a stop signal asks.
        run_records: Keeps what the run logged for its reports; every strategy
            hands it the same values at the same epochs.
        validation_sets: The extra validation sets (`validation_sets`), evaluated
            at every epoch's end (framework.strategies.validation_sets).
    """

    model: keras.Model
    loss: keras.losses.Loss
    optimizer: keras.optimizers.Optimizer
    data: DataSource
    epochs: int
    logger: RunLogger
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)
    metrics: Callable[[], list[keras.metrics.Metric]] = list
    verbose: int = 0
    initial_epoch: int = 0
    stop_requested: Callable[[], bool] = lambda: False
    run_records: RunRecords | None = None
    validation_sets: ValidationSets = field(default_factory=ValidationSets)

    def __post_init__(self):
        if self.run_records is None:
            self.run_records = RunRecords(self.epochs)

    @functools.cached_property
    def records(self) -> RecordSchedule:
        """When the logger gets records: the same epochs and steps under every strategy."""
        return RecordSchedule(self.logger.cadence, self.epochs)


def non_finite_loss_error(job: TrainingJob, epoch: int, loss: float) -> NonFiniteLossError:
    """The error for a loss that stopped being finite, with the step and a hint."""
    job.logger.flush()  # what was recorded up to here stays
    step = int(job.optimizer.iterations.numpy())
    learning_rate = float(keras.ops.convert_to_numpy(job.optimizer.learning_rate))
    return NonFiniteLossError(
        f"The training loss became {loss} at step {step} (epoch {epoch}); training stopped there. "
        f"This usually means the optimizer diverged: lower optimizer.learning_rate "
        f"(now {learning_rate:g}), or check the data and the model for values that overflow."
    )
