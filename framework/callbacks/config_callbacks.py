"""The top-level `callbacks: [...]` list: Keras's callbacks by key, plugins' by theirs.

Registered here, by snake_case key:

    terminate_on_nan  Keras's TerminateOnNaN, checked at each epoch's end (see below)
    remote_monitor    Keras's RemoteMonitor: POSTs each epoch's logs to an HTTP server

Keras's other callbacks do jobs the framework does with its own config keys
(checkpoints, resume, early stopping, learning-rate plateaus and schedules,
TensorBoard, the CSV file, the progress bar) or take Python functions, which
a config cannot hold; naming one says which key to use instead
(framework.config.callback_specs). A plugin adds its own with
`@CALLBACKS.register("key")` on a keras.callbacks.Callback subclass.

Every strategy calls a callback's train and epoch hooks with the same logs:
`on_epoch_end(epoch, logs)` once per epoch. The tape strategy runs whole
epochs inside one graph call, so it calls no batch hooks (and neither runs
a test loop with hooks for validation); a callback that implements them is
refused rather than silently called under one strategy only. A callback that
is not an EpochCallback may read the model, so under the tape strategy each
epoch then ends a graph call; one that reads only its logs says so by
subclassing EpochCallback with `reads_live_model = False`.
"""

from __future__ import annotations

import math

import keras

from framework.errors import ConfigError
from framework.registry import CALLBACKS, Resolved

# Hooks only fit calls (batches, its validation loop, predict).
_FIT_ONLY_HOOKS = tuple(
    f"on_{stage}{event}"
    for stage in ("batch", "train_batch", "test_batch", "predict_batch", "test", "predict")
    for event in ("_begin", "_end")
)


@CALLBACKS.register("terminate_on_nan")
class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras's TerminateOnNaN, checking each epoch's loss (Keras checks each batch, which
    only fit calls). The framework itself already ends a run whose loss is not finite
    (exit status 3, the last finite checkpoint kept) before callbacks see that epoch;
    this is here so Keras configs carry over."""

    on_batch_end = keras.callbacks.Callback.on_batch_end

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at epoch {epoch}. Loss value: {loss}.")
            self.model.stop_training = True


CALLBACKS.register("remote_monitor")(keras.callbacks.RemoteMonitor)


def config_callbacks(specs: tuple[Resolved, ...]) -> list[keras.callbacks.Callback]:
    """The callbacks of the `callbacks` list, built in order.

    Raises:
        ConfigError: An entry built something other than a Keras callback, or
            one with hooks that only model.fit calls.
    """
    built = []
    for spec in specs:
        callback = spec.build()
        if not isinstance(callback, keras.callbacks.Callback):
            raise ConfigError(
                f"{spec.where}: callback '{spec.key}' built a {type(callback).__name__}, not a "
                f"keras.callbacks.Callback. Register a Keras callback class under that key."
            )
        fit_only = [hook for hook in _FIT_ONLY_HOOKS if getattr(type(callback), hook) is not getattr(keras.callbacks.Callback, hook)]
        if fit_only:
            raise ConfigError(
                f"{spec.where}: callback '{spec.key}' implements {', '.join(fit_only)}, which only strategy=fit "
                f"calls: the tape strategy runs whole epochs in one graph call and calls each callback's "
                f"on_train_begin/end and on_epoch_begin/end only. Move that work to on_epoch_end."
            )
        built.append(callback)
    return built
