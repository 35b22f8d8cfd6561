"""Lowering the learning rate when the loss stalls (the `lr_on_plateau` config section).

Keras's own ReduceLROnPlateau does the work: it assigns the optimizer's
learning-rate variable at the end of an epoch, which the tape loop's compiled
steps read on their next call. It reads the model every epoch (it is not an
EpochCallback), so under the tape strategy an enabled plateau watch ends a
graph call every epoch, and both strategies lower the rate after the same
epoch. The rate is an optimizer variable, so checkpoints keep it; the
patience counter starts afresh on resume.
"""

from __future__ import annotations

import logging

import keras

from framework.config.settings import LROnPlateauSettings

log = logging.getLogger("framework")


class ReduceLearningRateOnPlateau(keras.callbacks.ReduceLROnPlateau):
    """Keras's ReduceLROnPlateau, announcing each reduction in the numbering of the per-epoch lines."""

    def on_epoch_end(self, epoch, logs=None):
        before = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        super().on_epoch_end(epoch, logs)
        after = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        if after < before:
            log.info(
                "Epoch %2d: %s has not improved for %d epoch%s: learning rate lowered from %g to %g.",
                epoch, self.monitor, self.patience, "" if self.patience == 1 else "s", before, after,
            )


def lr_on_plateau_callbacks(settings: LROnPlateauSettings) -> list[keras.callbacks.Callback]:
    """The callback that `settings` asks for, or none when disabled."""
    if not settings.enabled:
        return []
    return [
        ReduceLearningRateOnPlateau(
            monitor=settings.monitor,
            factor=settings.factor,
            patience=settings.patience,
            min_delta=settings.min_delta,
            cooldown=settings.cooldown,
            min_lr=settings.min_lr,
            mode="min",
        )
    ]
