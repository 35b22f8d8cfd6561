"""The base of callbacks that declare when they act, so every loop plans around them.

Keras's `fit` calls every callback at every epoch with the model as it is.
The hand-written loop runs many epochs inside one compiled call and hands
the callbacks each epoch's logs afterwards; it ends a call only where some
callback must see the model as it is. A callback says where with three
schedules (framework.schedules); the loop plans from their union
(framework.strategies.call_plan). Writing a callback that needs the live
model every 50 epochs is one declaration:

    class Snapshot(EpochCallback):
        def __init__(self):
            super().__init__()
            self.acts_on = self.model_at_epoch_end = Every(50)

A plain Keras callback declares nothing, and is treated as reading the model
at every epoch's start and end (correct for any callback, and the slowest).
"""

from __future__ import annotations

import keras

from framework.schedules import EVERY_EPOCH, NEVER, Schedule


class EpochCallback(keras.callbacks.Callback):
    """A Keras callback with its schedules declared.

    Attributes:
        acts_on: The epochs whose `on_epoch_begin`/`on_epoch_end` do anything; the
            hand-written loop may skip the others (it still calls the last epoch
            of each compiled call, and `on_train_end`). The hooks themselves ask
            `acts_on` too, so every loop acts at the same epochs.
        model_at_epoch_start: The epochs whose `on_epoch_begin` reads the model.
        model_at_epoch_end: The epochs whose `on_epoch_end` reads the model, or
            may stop training (`model.stop_training`).
    """

    acts_on: Schedule = EVERY_EPOCH
    model_at_epoch_start: Schedule = NEVER
    model_at_epoch_end: Schedule = EVERY_EPOCH

    def acts_at(self, epoch: int) -> bool:
        """Whether `epoch` is one this callback acts on (the run's epochs come from Keras's params)."""
        return bool(self.acts_on.due(epoch, self.params["epochs"]))
