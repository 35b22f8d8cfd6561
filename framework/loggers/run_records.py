"""What a run logged, kept for its own reports whatever loggers it has.

The end-of-run plots, and a resumed run's plots, are drawn from these
records, so they exist with any logger, `none` included. Every loop hands
them the same values: each recorded epoch's logs, the learning rate and the
model's scalar variables at the epoch's end (the hand-written loop returns
them from its compiled call, `fit` reads them at those epochs). The epochs
kept are about POINTS_PER_CURVE of the run, the last always, as a
TensorBoard curve keeps by default; the values before training come first.
They are saved with every checkpoint, so a resumed run's plots show its
whole history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from framework.schedules import Every

POINTS_PER_CURVE = 1000
LEARNING_RATE = "learning_rate"
VARIABLES = "variables/"  # the prefix of a scalar variable's record, before its path


class RunRecords:
    """The records of a run of `epochs` epochs: rows of values by name, each at its epochs
    completed (0: before training). Values may be a backend's scalars: they are read as
    numbers only when the records are read, so recording never waits for a device."""

    def __init__(self, epochs: int):
        self.schedule = Every.about(POINTS_PER_CURVE, epochs)
        self.epochs = epochs
        self._rows: list[tuple[int, Mapping[str, Any]]] = []

    def due_in(self, start: int, stop: int) -> list[int]:
        """The recorded epochs among [start, stop)."""
        return self.schedule.due_in(start, stop, self.epochs)

    def start(self, scalars: Mapping[str, Any]) -> None:
        """The scalar variables' values before training (by path), unless resumed records have them."""
        if not self._rows:
            self._rows.append((0, {f"{VARIABLES}{path}": value for path, value in scalars.items()}))

    def add(self, epoch: int, values: Mapping[str, Any]) -> None:
        """Epoch `epoch`'s values: its logs, LEARNING_RATE and VARIABLES + path for scalar variables."""
        self._rows.append((epoch + 1, dict(values)))

    def add_columns(self, first_epoch: int, columns: Mapping[str, Sequence[float]]) -> None:
        """The recorded epochs of a run of consecutive epochs from `first_epoch`, one value per epoch in each column."""
        ran = len(next(iter(columns.values()), []))
        for epoch in self.due_in(first_epoch, first_epoch + ran):
            self.add(epoch, {name: values[epoch - first_epoch] for name, values in columns.items()})

    def names(self) -> list[str]:
        return list(dict.fromkeys(name for _, values in self._rows for name in values))

    def curve(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(epochs completed, values) of `name` where it was recorded and finite."""
        points = [(epoch, _number(values[name])) for epoch, values in self._rows if name in values]
        points = [(epoch, value) for epoch, value in points if math.isfinite(value)]
        epochs, values = zip(*points) if points else ((), ())
        return np.asarray(epochs, dtype=np.int64), np.asarray(values, dtype=np.float64)

    def state(self) -> dict[str, Any]:
        """The records as JSON-ready values, for a checkpoint (non-finite values left out)."""
        rows = []
        for epoch, values in self._rows:
            numbers = {name: _number(value) for name, value in values.items()}
            rows.append([epoch, {name: value for name, value in numbers.items() if math.isfinite(value)}])
        return {"rows": rows}

    def restore(self, state: Mapping[str, Any], epochs_done: int) -> None:
        """Continues from `state()` of the checkpoint after `epochs_done` epochs (later records are dropped)."""
        self._rows = [(epoch, values) for epoch, values in state.get("rows", []) if epoch <= epochs_done]


def _number(value: Any) -> float:
    """A recorded value (a number, or a backend's one-element array) as a float."""
    return float(np.asarray(value).reshape(()))
