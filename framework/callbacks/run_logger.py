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

    def epoch_due(self, epoch):
        """Whether `log_epoch` wants epoch `epoch` (an int or a tensor; the answer is of the same
        kind, or a plain bool when it is the same for every epoch)."""
        return False

    def epochs_until_due(self, epoch):
        """Inside a compiled loop: how many epochs from `epoch` (a tensor) up to and
        including the next one `log_epoch` wants, or None if it wants none."""
        return None

    @property
    def due_epochs_in_loop(self) -> bool:
        """True when a compiled loop should ask `epoch_due` at every epoch; False when due
        epochs are rare enough that the loop should run the epochs between them in an
        inner loop that asks nothing (see `epochs_until_due`)."""
        return False

    def log_step(self, step, loss) -> None:
        """After optimizer step `step`, which `step_due` accepted: the running epoch loss."""
        return None  # AutoGraph cannot convert a body that is only a docstring

    def log_epoch(self, step, epoch, logs: dict, learning_rate, variables: list) -> None:
        """After epoch `epoch`, which `epoch_due` accepted and which ended at optimizer step `step`.

        Args:
            logs: The epoch's logs (loss, val_loss...).
            learning_rate: The optimizer's learning rate at that step.
            variables: The values of the model's trainable variables then, in their order.
        """
        return None  # AutoGraph cannot convert a body that is only a docstring

    def flush(self) -> None:
        """Makes what was recorded durable, at most about once a second (strategies call it often)."""

    def close(self) -> None:
        """Flushes everything and releases whatever the logger holds. Safe to call twice."""
