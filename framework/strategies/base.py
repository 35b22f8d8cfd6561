"""What a training strategy is handed: everything about *what* to train."""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import keras

from framework.data.source import DataSource
from framework.errors import NonFiniteLossError
from framework.loggers.base import RunLogger
from framework.loggers.run_records import RunRecords
from framework.strategies.record_schedule import RecordSchedule


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

    def __post_init__(self):
        if self.run_records is None:
            self.run_records = RunRecords(self.epochs)

    @functools.cached_property
    def records(self) -> RecordSchedule:
        """When the logger gets records: the same epochs and steps under every strategy."""
        return RecordSchedule(self.logger.cadence, self.epochs)


class TrainingStrategy(abc.ABC):
    """How to loop. Strategies differ in mechanics only: given the same job and
    seed they produce the same weights, logs and callback calls."""

    # What a strategy asks of a distribution, checked with the config (framework.config.plan).
    needs_even_replica_batches: ClassVar[bool] = False  # every replica must get as many examples
    compiles_xla_across_replicas: ClassVar[bool] = True  # jit_compile works under a distribution
    computes_metrics_across_replicas: ClassVar[bool] = True  # `metrics` are exact under a distribution

    @abc.abstractmethod
    def train(self, job: TrainingJob) -> keras.callbacks.History:
        """Trains `job.model` in place and returns the per-epoch logs."""

    def loop_stats(self) -> dict[str, int]:
        """Counts that show how the last `train` ran (graph calls, traces), for tests and summary.json."""
        return {}


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
