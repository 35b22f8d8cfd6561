"""Loggers written in Python (MLflow, CSV, W&B): trackers of scalars.

They take the records every logger takes on the host (`write_epoch`,
`write_step`), all but the variables' values: trackers get scalars, and
TensorBoard keeps the variables. On TensorFlow the records reach them from
inside the compiled loops through one `tf.py_function` per record
(framework.backends.tensorflow.graph_records); records are thinned (at most
about 1000 a run by default), so the cost is bounded and the training steps
between records stay free of Python.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from framework.loggers.base import Cadence, RunLogger


class PythonSideLogger(RunLogger, abc.ABC):
    """A RunLogger of scalars: its records arrive as Python numbers in `write_epoch` and `write_step`."""

    takes_variables = False

    def __init__(self, cadence: Cadence, takes_steps: bool):
        self.cadence = cadence if takes_steps else Cadence(every_n_epochs=cadence.every_n_epochs)

    @abc.abstractmethod
    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        """Records epoch `epoch`, which ended at optimizer step `step`: its logs and `learning_rate`."""
