"""Loggers written in Python (MLflow, CSV) receive records from inside a graph.

The tape strategy calls loggers inside its compiled loop and the fit strategy
from a compiled function, so `log_epoch` gets tensors in a graph. This
adapter hands them to Python through one `tf.py_function` per record: records
are thinned (at most about 1000 a run by default), so the cost is bounded and
the training steps between records stay free of Python.
"""

from __future__ import annotations

import abc

import tensorflow as tf

from framework.loggers.base import Cadence, RunLogger


class PythonSideLogger(RunLogger, abc.ABC):
    """A RunLogger whose records arrive as Python numbers in `write_epoch` and `write_step`."""

    def __init__(self, cadence: Cadence, takes_steps: bool):
        self.cadence = cadence if takes_steps else Cadence(every_n_epochs=cadence.every_n_epochs)

    def log_step(self, step, loss) -> None:
        tf.py_function(lambda step, loss: self.write_step(int(step), float(loss)), [step, loss], [])

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        del variables  # trackers get scalars; TensorBoard keeps the variables
        names = [*logs, "learning_rate"]

        def receive(step, epoch, *values):
            self.write_epoch(int(step), int(epoch), {name: float(value) for name, value in zip(names, values)})

        values = [tf.cast(value, tf.float32) for value in (*logs.values(), learning_rate)]
        tf.py_function(receive, [step, epoch, *values], [])

    @abc.abstractmethod
    def write_epoch(self, step: int, epoch: int, values: dict[str, float]) -> None:
        """Records epoch `epoch`, which ended at optimizer step `step`: its logs and `learning_rate`."""

    def write_step(self, step: int, loss: float) -> None:
        """Records the running epoch loss after optimizer step `step` (loggers that take step records)."""
