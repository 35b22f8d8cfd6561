"""Callbacks that must see the live model at the end of some epochs, and the
tape strategy's rule for which callbacks those are.

The tape strategy runs many epochs inside one graph call and replays the
epoch callbacks from the recorded logs afterwards. That is exact for
callbacks that only read logs (History, the progress bar); a callback that
reads the model (its weights, to print or save them) says at which epochs
it needs it, and the strategy ends a graph call there.
"""

from __future__ import annotations

from typing import ClassVar

import keras

# The key of `on_epoch_begin`'s logs under which the tape strategy hands a
# callback that asks for them (`reads_scalars_at_epoch_start`) the values of
# the model's scalar variables as the epoch began: [(variable name, value)].
# They come out of the compiled call, so such a callback needs no live model.
# Keras's fit passes no logs there; the model is live at every epoch's start.
SCALARS_AT_EPOCH_START = "scalars_at_epoch_start"

# Keras callbacks that read nothing but the logs they are given.
_LOG_ONLY_CALLBACKS = (keras.callbacks.History, keras.callbacks.ProgbarLogger)


class EpochCallback(keras.callbacks.Callback):
    """A Keras callback that declares when it must see the live model."""

    # False: never needs the live model (`needs_live_model` is then never asked).
    reads_live_model: ClassVar[bool] = True
    # True: wants SCALARS_AT_EPOCH_START in on_epoch_begin's logs where the model is not live.
    reads_scalars_at_epoch_start: ClassVar[bool] = False
    # False: of the epochs a graph call ran, the tape strategy replays only the
    # last one to it (a callback that keeps no per-epoch record), saving Python
    # per epoch; the epochs where it needs the live model each end a call anyway.
    replayed_every_epoch: ClassVar[bool] = True

    def needs_live_model(self, epoch: int) -> bool:
        """Whether `on_epoch_begin`/`on_epoch_end` of `epoch` must see the model as it is then."""
        return True

    def next_live_epoch(self, epoch: int, end: int) -> int:
        """The first epoch in `[epoch, end)` that needs the live model, or `end` if none does.

        The tape strategy asks this once per graph call; a callback with a
        schedule it can compute (every N epochs) answers without asking
        `needs_live_model` for each epoch, which costs Python per epoch.
        """
        return next((candidate for candidate in range(epoch, end) if self.needs_live_model(candidate)), end)


def needs_live_model(callback: keras.callbacks.Callback, epoch: int) -> bool:
    """Whether `callback` must run at the real end of `epoch`; unknown callbacks always must."""
    if isinstance(callback, EpochCallback):
        return callback.reads_live_model and callback.needs_live_model(epoch)
    return not isinstance(callback, _LOG_ONLY_CALLBACKS)


def next_live_epoch(callback: keras.callbacks.Callback, epoch: int, end: int) -> int:
    """The first epoch in `[epoch, end)` at whose real end `callback` must run, or `end`."""
    if isinstance(callback, EpochCallback):
        return callback.next_live_epoch(epoch, end) if callback.reads_live_model else end
    return end if isinstance(callback, _LOG_ONLY_CALLBACKS) else epoch


def live_model_readers(callbacks: list[keras.callbacks.Callback]) -> list[keras.callbacks.Callback]:
    """The callbacks that may need the live model at some epoch; the tape strategy
    asks only these where the next graph call must end."""
    return [
        callback for callback in callbacks
        if (callback.reads_live_model if isinstance(callback, EpochCallback) else not isinstance(callback, _LOG_ONLY_CALLBACKS))
    ]
