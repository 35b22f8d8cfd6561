"""The base of loggers: what a run records, callable from Python or from inside a graph.

Strategies call the same methods at the same points, so every logger writes
the same records with the same step meaning under every strategy: the tape
strategy calls them inside its compiled loop, the fit strategy from a Keras
callback (`LoggerCallback`). A strategy asks `*_due` first and calls `log_*`
only when due, so a record that is not due costs nothing.
"""

from __future__ import annotations

import keras


class RunLogger:
    """Records a run. Methods taking tensors must be graph-safe (TensorFlow ops only)."""

    def open(self, model: keras.Model, epochs: int) -> None:
        """Starts recording `model`'s training for `epochs` epochs (a resumed run too)."""

    def step_due(self, step):
        """Whether `log_step` wants optimizer step `step` (an int or a tensor; the answer is of the same kind)."""
        return False

    def epoch_due(self, epoch: int) -> bool:
        """Whether `log_epoch` wants epoch `epoch`."""
        return False

    @property
    def logs_every_epoch(self) -> bool:
        """True when every epoch is due: a compiled loop then logs each without asking."""
        return False

    def log_step(self, step, loss) -> None:
        """After optimizer step `step`, which `step_due` accepted: the running epoch loss."""
        return None  # AutoGraph cannot convert a body that is only a docstring

    def log_epoch(self, step, epoch, logs: dict) -> None:
        """After epoch `epoch`, which `epoch_due` accepted and which ended at optimizer step `step`."""
        return None  # AutoGraph cannot convert a body that is only a docstring

    def flush(self) -> None:
        """Makes what was recorded durable, at most about once a second (strategies call it often)."""

    def close(self) -> None:
        """Flushes everything and releases whatever the logger holds. Safe to call twice."""
