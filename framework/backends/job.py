"""What a loop is handed: everything about *what* to train, independent of how the loop is written."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from framework.backends.record_schedule import RecordSchedule
from framework.backends.step_validation import StepValidation
from framework.checkpoints.step_checkpoints import StepCheckpoints
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
        initial_step: Steps of epoch `initial_epoch` already done (a run resumed
            from a checkpoint saved inside an epoch); training starts at the next.
        epoch_progress: That epoch's progress so far (framework.checkpoints.run_checkpoint):
            its loss summed over the examples seen, their count, then the values
            of its training metrics' variables; empty when `initial_step` is 0.
        step_checkpoints: Checkpoints due inside epochs (checkpoint.every_n_steps), or None.
        step_validation: Validation due inside epochs (validation.every_n_steps), or None.
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
    initial_step: int = 0
    epoch_progress: list[np.ndarray] = field(default_factory=list)
    step_checkpoints: StepCheckpoints | None = None
    step_validation: StepValidation | None = None
    stop_requested: Callable[[], bool] = lambda: False
    run_records: RunRecords | None = None
    validation_sets: ValidationSets = field(default_factory=ValidationSets)

    def __post_init__(self):
        if self.run_records is None:
            self.run_records = RunRecords(self.epochs)

    @property
    def stops_inside_epochs(self) -> bool:
        """Whether a loop must be able to stop and start inside an epoch: something is due at
        steps inside epochs, or the run resumes from a checkpoint saved inside one."""
        return self.step_checkpoints is not None or self.step_validation is not None or bool(self.initial_step)

    def next_step_inside_epochs(self, step: int) -> int | None:
        """The first step after `step` where a step checkpoint or validation is due; None if none ever is."""
        due = [work.steps.next_due(step) for work in (self.step_checkpoints, self.step_validation) if work is not None]
        return min((candidate for candidate in due if candidate is not None), default=None)

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
