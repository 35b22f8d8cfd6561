"""What a logger is: it declares which records it wants, and writes the ones it is given.

Every loop hands a logger the same records with the same values, so every
logger writes the same records with the same step meaning under every
strategy and backend. A logger receives them on the host as Python numbers
and NumPy arrays (`write_step`, `write_epoch`): loops that return to Python
after each compiled call call these directly, and the TensorFlow loops,
which record inside their compiled code, reach them through
framework.backends.tensorflow.graph_records (which writes TensorBoard's
records with tf.summary in the graph instead). When records are due is
decided by the loop (framework.backends.record_schedule) from the logger's
`cadence`: a logger author writes no scheduling code and never sees a graph
loop. This package imports without TensorFlow (and without Keras).

A run records with one logger: a FanOutLogger (fan_out.py) over the loggers
the config selects, each built with the same LoggerContext.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from framework.run_directory import RunDirectory

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Cadence:
    """Which records a logger wants.

    Attributes:
        every_n_epochs: An epoch record every N epochs and at the last epoch;
            0 picks N so a curve has at most 1000 points (every epoch for runs
            of up to 1000 epochs); None wants no epoch records.
        every_n_steps: A step record (the running epoch loss) every N optimizer
            steps; 0 wants none.
    """

    every_n_epochs: int | None = None
    every_n_steps: int = 0


@dataclass(frozen=True)
class LoggerContext:
    """What every logger of a run is built with, besides its own config keys.

    Attributes:
        run_dir: The run directory; a logger writes only the paths it names.
        cadence: The records the run's loggers share (config keys
            logger.log_every_n_epochs, logger.log_every_n_steps).
        config: The whole run config as plain Python (MLflow's params).
        initial_epoch: Epochs done before this process (a resumed run): a
            logger that appends drops what it holds from there on.
        examples_per_epoch: Training examples in one epoch (for throughput).
        group: The multirun this run is a job of (its sweep directory), so a
            tracker can group the sweep's runs; None for a single run.
    """

    run_dir: RunDirectory
    cadence: Cadence = Cadence()
    config: Mapping[str, Any] = field(default_factory=dict)
    initial_epoch: int = 0
    examples_per_epoch: int = 0
    group: str | None = None


class RunOutcome(enum.Enum):
    """How a run ended, named as MLflow names the end of a run."""

    FINISHED = enum.auto()
    FAILED = enum.auto()
    KILLED = enum.auto()  # stopped by a signal; resumable


class RunLogger:
    """Records a run, from host values: Python numbers and NumPy arrays."""

    cadence: Cadence = Cadence()
    # Whether `write_epoch` uses the variables' values: loops need not fetch them for loggers that do not.
    takes_variables: bool = True

    def open(self, model: keras.Model, epochs: int) -> None:
        """Starts recording `model`'s training for `epochs` epochs (a resumed run too)."""

    def write_step(self, step: int, loss: float) -> None:
        """After optimizer step `step`, a due step: the running epoch loss."""

    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        """After epoch `epoch`, a due epoch, which ended at optimizer step `step`.

        Args:
            values: The epoch's logs (loss, val_loss...) and then "learning_rate",
                the optimizer's learning rate at that step.
            variables: The values of the model's trainable variables then, in
                `model.trainable_variables` order (a logger whose
                `takes_variables` is False may be given none).
        """

    def write_validation(self, step: int, values: dict[str, float]) -> None:
        """Inside an epoch, after optimizer step `step` (validation.every_n_steps): the validation
        logs (val_loss, val_<metric>) of the weights then, under the names the epoch's validation
        values have, so they extend the same curves on the step axis. A logger of one row per
        epoch keeps none."""

    def flush(self) -> None:
        """Makes what was recorded durable, at most about once a second (strategies call it often)."""

    def close(self) -> None:
        """Flushes everything and releases whatever the logger holds. Safe to call twice."""

    def end(self, outcome: RunOutcome, run_dir: RunDirectory) -> None:
        """After the run's report is written (or the run failed or was stopped):
        attach what the run left in `run_dir` and mark the run ended with `outcome`."""
