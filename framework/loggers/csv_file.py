"""logger=csv: one row per epoch record in <run dir>/metrics.csv, in Keras's CSVLogger format.

Keras's own `keras.callbacks.CSVLogger` writes the rows (columns `epoch`
and the sorted log names, `learning_rate` among them), so the file reads like
the one a Keras user already parses. A resumed run first drops the rows of
the epochs it trains again, so every epoch appears once after a kill and a resume.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from framework.loggers.base import LoggerContext
from framework.loggers.python_side import PythonSideLogger
from framework.registry import LOGGERS
from framework.registry.schema import ComponentConfig

if TYPE_CHECKING:
    import keras


class CsvLoggerConfig(ComponentConfig):
    """No keys: the rows follow the shared cadence (logger.log_every_n_epochs)."""


@LOGGERS.register("csv", config=CsvLoggerConfig)
class CsvLogger(PythonSideLogger):
    """Appends a row per epoch record; takes no step records."""

    def __init__(self, context: LoggerContext):
        super().__init__(context.cadence, takes_steps=False)
        self.path = context.run_dir.metrics_csv
        self.initial_epoch = context.initial_epoch
        import keras  # here, not at the top: framework.loggers imports without a Keras backend

        self._rows = keras.callbacks.CSVLogger(str(self.path), append=True)

    def open(self, model: keras.Model, epochs: int) -> None:
        _keep_rows_before(self.path, self.initial_epoch)
        self._rows.on_train_begin()

    def write_epoch(self, step: int, epoch: int, values: dict[str, float], variables: Sequence[np.ndarray]) -> None:
        self._rows.on_epoch_end(epoch, values)  # the CSVLogger flushes every row

    def close(self) -> None:
        self._rows.on_train_end()


def _keep_rows_before(path: Path, epoch: int) -> None:
    """Drops the rows of `epoch` and later (written by a run that stopped after its last checkpoint)."""
    if not path.is_file():
        return
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    kept = rows[:1] + [row for row in rows[1:] if row and int(row[0]) < epoch]
    if len(kept) < len(rows):
        with path.open("w", newline="") as file:
            csv.writer(file).writerows(kept)
