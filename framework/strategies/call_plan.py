"""Where the hand-written loop ends its compiled calls, and which callbacks hear of which epochs.

One place plans "when" for the loop: from the schedules every callback
declares (framework.callbacks.scheduled), it ends a call where some callback
must see the model as it is, and nowhere else, and after each call hands
each callback only the epochs it acts on (plus the call's last epoch, where
the model is live for everyone). Keras's `fit` needs no plan: it calls every
callback at every epoch, and the callbacks' own schedules keep them to the
same epochs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras

from framework.callbacks.scheduled import EpochCallback
from framework.schedules import EVERY_EPOCH, NEVER, Schedule

# Keras callbacks that read nothing but the logs they are given.
_LOG_ONLY_CALLBACKS = (keras.callbacks.History, keras.callbacks.ProgbarLogger)


@dataclass(frozen=True)
class Timing:
    """What a callback declares (see EpochCallback)."""

    acts_on: Schedule
    model_at_epoch_start: Schedule
    model_at_epoch_end: Schedule


def timing_of(callback: keras.callbacks.Callback) -> Timing:
    """A callback's declared schedules; a plain Keras callback reads the model at every epoch."""
    if isinstance(callback, EpochCallback):
        return Timing(callback.acts_on, callback.model_at_epoch_start, callback.model_at_epoch_end)
    if isinstance(callback, _LOG_ONLY_CALLBACKS):
        return Timing(EVERY_EPOCH, NEVER, NEVER)
    return Timing(EVERY_EPOCH, EVERY_EPOCH, EVERY_EPOCH)


class CallPlan:
    """The plan of a run of `epochs` epochs for `callbacks`; calls also end after each
    epoch of `also_ends` (records a backend writes between calls)."""

    def __init__(self, callbacks: Sequence[keras.callbacks.Callback], epochs: int, also_ends: Schedule | None = None):
        self.epochs = epochs
        self._timed = [(callback, timing_of(callback)) for callback in callbacks]
        # Only these can end a call early; asked once per call, never per epoch.
        self._readers = [
            timing for _, timing in self._timed
            if timing.model_at_epoch_start is not NEVER or timing.model_at_epoch_end is not NEVER
        ]
        if also_ends is not None:
            self._readers.append(Timing(NEVER, NEVER, also_ends))

    def call_end(self, start: int, limit: int) -> int:
        """The epoch after the last one of the call that begins at `start`: at most `limit`,
        just after the first epoch whose end a callback must see, and just before the first
        later epoch whose start one must see; at least one epoch."""
        end = min(limit, self.epochs)
        for timing in self._readers:
            end = min(
                end,
                timing.model_at_epoch_end.next_due(start, self.epochs) + 1,
                timing.model_at_epoch_start.next_due(start + 1, self.epochs),
            )
        return max(end, start + 1)

    def hearing(self, start: int, stop: int) -> dict[int, list[keras.callbacks.Callback]]:
        """{epoch: the callbacks that hear of it} for the epochs [start, stop) a call ran:
        the epochs each acts on, and the last epoch, which every callback hears of."""
        heard: dict[int, list[keras.callbacks.Callback]] = {}
        for callback, timing in self._timed:
            for epoch in {*timing.acts_on.due_in(start, stop - 1, self.epochs), stop - 1}:
                heard.setdefault(epoch, []).append(callback)
        return dict(sorted(heard.items()))
