"""A hand-written training loop: tf.GradientTape steps, many epochs per graph call."""

from __future__ import annotations

import logging
from typing import Annotated

import keras
import pydantic

from framework.config.schema import ComponentConfig
from framework.registry import STRATEGIES
from framework.strategies.base import (
    TrainingJob,
    TrainingStrategy,
    non_finite_loss_error,
)
from framework.strategies.compiled_epochs import CompiledEpochs
from framework.strategies.live_model import (
    SCALARS_AT_EPOCH_START,
    EpochCallback,
    live_model_readers,
    needs_live_model,
    next_live_epoch,
)

log = logging.getLogger("framework")


class TapeStrategyConfig(ComponentConfig):
    """Attributes:
    jit_compile: Compiles the training step with XLA.
    steps_per_call: Training steps run per graph call (whole epochs, at least
        one): Python is visited once per call, not once per step.
    """

    jit_compile: bool
    steps_per_call: Annotated[int, pydantic.Field(ge=1)]


@STRATEGIES.register("tape", config=TapeStrategyConfig)
class TapeStrategy(TrainingStrategy):
    """Computes the loss under tf.GradientTape and applies the Keras optimizer.

    Epochs run inside one compiled function, `steps_per_call` steps at a time;
    per-epoch work (loss, validation, logging) happens inside it. Callbacks see
    the same calls as under `model.fit`: those that read only logs are replayed
    after each call (only its last epoch to those that keep no per-epoch
    record), and a call ends early at every epoch where a callback must see the
    live model (see framework.strategies.live_model).
    """

    compiles_xla_across_replicas = False  # XLA cannot compile the cross-replica optimizer update
    computes_metrics_across_replicas = False  # each replica holds only its slice of the outputs

    def __init__(self, jit_compile: bool, steps_per_call: int):
        self.jit_compile = jit_compile
        self.steps_per_call = steps_per_call
        self.compiled: CompiledEpochs | None = None  # kept for loop_stats

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        model = job.model
        # Compiling attaches the optimizer and loss to the model, so callbacks
        # and the saved .keras file see them exactly as under fit.
        model.compile(optimizer=job.optimizer, loss=job.loss, metrics=job.metrics(), jit_compile=self.jit_compile)
        job.optimizer.build(model.trainable_variables)
        start_readers = {id(c) for c in job.callbacks if isinstance(c, EpochCallback) and c.reads_scalars_at_epoch_start}
        self.compiled = CompiledEpochs(job, self.jit_compile, scalars_at_start=bool(start_readers))
        history = keras.callbacks.History()
        history.set_model(model)
        callbacks = keras.callbacks.CallbackList(
            job.callbacks,
            add_progbar=job.verbose == 1,
            model=model,
            verbose=job.verbose,
            epochs=job.epochs,
            steps=job.data.steps_per_epoch,
        )
        every_epoch = [c for c in callbacks.callbacks if not isinstance(c, EpochCallback) or c.replayed_every_epoch]
        readers = live_model_readers(job.callbacks)
        job.logger.open(model, job.epochs)
        model.stop_training = False
        callbacks.on_train_begin()
        history.on_train_begin()
        epoch, logs = job.initial_epoch, {}
        while epoch < job.epochs and not model.stop_training and not job.stop_requested():
            num_epochs = self._epochs_in_next_call(epoch, job, readers)
            live = _needs_live_model(readers, epoch)
            if live:
                callbacks.on_epoch_begin(epoch)
            results, finite, scalars_at_start = self.compiled.run(epoch, num_epochs)
            if self.jit_compile and self.compiled.calls == 1:
                log.info("XLA: the training step is compiled with XLA (jit_compile=True).")
            ran = len(results["loss"]) - (0 if finite else 1)
            columns = {name: values[:ran] for name, values in results.items()}
            # Replayed straight to each callback: the logs are plain floats
            # already, and CallbackList's own dispatch costs more than an epoch.
            # Only callbacks that keep per-epoch records see every epoch; the
            # others, the last one (a Python dict per epoch costs as much as a
            # small epoch's graph work).
            replayed = range(0 if every_epoch else max(ran - 1, 0), ran)
            replayed_logs = []
            for index in replayed:
                logs = {name: values[index] for name, values in columns.items()}
                for callback in callbacks.callbacks if index == ran - 1 else every_epoch:
                    if not live:
                        start = {SCALARS_AT_EPOCH_START: scalars_at_start[index]} if id(callback) in start_readers else None
                        callback.on_epoch_begin(epoch + index, start)
                    callback.on_epoch_end(epoch + index, logs)
                replayed_logs.append(logs)
            _extend_history(history, epoch, columns, replayed.start, replayed_logs)
            if not finite:
                raise non_finite_loss_error(job, epoch + ran, results["loss"][-1])
            job.logger.flush()
            epoch += num_epochs
        callbacks.on_train_end(logs)
        log.debug("Tape loop: %d graph call(s), traced %d time(s).", self.compiled.calls, self.compiled.tracing_count)
        return history

    def loop_stats(self) -> dict[str, int]:
        if self.compiled is None:
            return {}
        return {"graph_calls": self.compiled.calls, "traces": self.compiled.tracing_count}

    def _epochs_in_next_call(self, epoch: int, job: TrainingJob, readers: list[keras.callbacks.Callback]) -> int:
        """Epochs to run from `epoch` on: up to steps_per_call steps, ending before the next
        epoch where one of `readers` must see the live model (that epoch runs alone)."""
        end = epoch + min(max(1, self.steps_per_call // job.data.steps_per_epoch), job.epochs - epoch)
        live_epoch = min((next_live_epoch(callback, epoch, end) for callback in readers), default=end)
        return max(live_epoch - epoch, 1)


def _needs_live_model(readers: list[keras.callbacks.Callback], epoch: int) -> bool:
    return any(needs_live_model(callback, epoch) for callback in readers)


def _extend_history(
    history: keras.callbacks.History,
    first_epoch: int,
    columns: dict[str, list[float]],
    first_replayed: int,
    replayed_logs: list[dict[str, float]],
) -> None:
    """What History.on_epoch_end does for each epoch of a call: the epochs before
    `first_replayed` from the call's columns, the replayed ones from their logs,
    which callbacks may have added to (ReduceLROnPlateau adds the learning rate)."""
    history.epoch.extend(range(first_epoch, first_epoch + first_replayed + len(replayed_logs)))
    for name, values in columns.items():
        history.history.setdefault(name, []).extend(values[:first_replayed])
    for logs in replayed_logs:
        for name, value in logs.items():
            history.history.setdefault(name, []).append(value)
