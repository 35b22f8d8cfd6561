"""The hand-written training loop: many epochs per compiled call, on every backend."""

from __future__ import annotations

import logging
from typing import Annotated

import keras
import pydantic

from framework.backends import EpochLoop, selected
from framework.backends.job import TrainingJob, non_finite_loss_error
from framework.registry import STRATEGIES
from framework.registry.schema import ComponentConfig
from framework.strategies.base import TrainingStrategy
from framework.strategies.call_plan import CallPlan
from framework.strategies.validation_sets import ValidationSetsInLoop

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
    """Computes the gradients itself and applies the Keras optimizer: under
    tf.GradientTape on TensorFlow; with the model's stateless_call under
    jax.value_and_grad and the optimizer's stateless_apply on JAX.

    Epochs run inside one compiled function, `steps_per_call` steps at a time;
    per-epoch work (loss, validation, logging) happens inside it. Callbacks see
    the same calls as under `model.fit`: those that read only logs are replayed
    after each call (only its last epoch to those that keep no per-epoch
    record), and a call ends early at every epoch where a callback must see the
    live model (see framework.strategies.call_plan).
    """

    compiles_xla_across_replicas = False  # XLA cannot compile the cross-replica optimizer update
    computes_metrics_across_replicas = False  # each replica holds only its slice of the outputs

    def __init__(self, jit_compile: bool, steps_per_call: int):
        self.jit_compile = jit_compile
        self.steps_per_call = steps_per_call
        self.compiled: EpochLoop | None = None  # kept for loop_stats

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        model = job.model
        # Compiling attaches the optimizer and loss to the model, so callbacks
        # and the saved .keras file see them exactly as under fit.
        model.compile(optimizer=job.optimizer, loss=job.loss, metrics=job.metrics(), jit_compile=self.jit_compile)
        job.optimizer.build(model.trainable_variables)
        backend = selected()
        validation_sets = ValidationSetsInLoop(job)
        self.compiled = backend.epoch_loop(validation_sets.loop_job, self.jit_compile)
        history = keras.callbacks.History()
        history.set_model(model)
        callbacks = keras.callbacks.CallbackList(
            job.callbacks, model=model, verbose=job.verbose, epochs=job.epochs, steps=job.data.steps_per_epoch
        )
        # A backend that hands records over between calls ends a call at each.
        plan = CallPlan(callbacks.callbacks, job.epochs,
                        validation_sets.call_ends(job.records.epoch_records if backend.records_end_calls else None))
        job.logger.open(model, job.epochs)
        model.stop_training = False
        callbacks.on_train_begin()
        history.on_train_begin()
        epoch, logs = job.initial_epoch, {}
        epochs_per_call = max(1, self.steps_per_call // job.data.steps_per_epoch)
        while epoch < job.epochs and not model.stop_training and not job.stop_requested():
            end = plan.call_end(epoch, limit=epoch + epochs_per_call)
            hearing = plan.hearing(epoch, end)
            for callback in hearing.get(epoch, []):  # the model is as the first epoch begins
                callback.on_epoch_begin(epoch)
            results, recorded, finite = self.compiled.run(epoch, end - epoch)
            results = validation_sets.with_values(epoch, results, recorded, finite)
            if self.jit_compile and self.compiled.calls == 1:
                log.info("XLA: the training step is compiled with XLA (jit_compile=True).")
            ran = len(results["loss"]) - (0 if finite else 1)
            job.run_records.add_columns(epoch, {name: values[:ran] for name, values in {**results, **recorded}.items()})
            logs = _replay(hearing, epoch, {name: values[:ran] for name, values in results.items()}, history)
            if not finite:
                raise non_finite_loss_error(job, epoch + ran, results["loss"][-1])
            job.logger.flush()
            epoch = end
        callbacks.on_train_end(logs)
        log.debug("Tape loop: %d graph call(s), traced %d time(s).", self.compiled.calls, self.compiled.tracing_count)
        return history

    def loop_stats(self) -> dict[str, int]:
        if self.compiled is None:
            return {}
        return {"graph_calls": self.compiled.calls, "traces": self.compiled.tracing_count}


def _replay(
    hearing: dict[int, list[keras.callbacks.Callback]], first_epoch: int, columns: dict[str, list[float]],
    history: keras.callbacks.History,
) -> dict[str, float]:
    """Hands each callback the epochs of a call it hears of, and the History every epoch;
    returns the last epoch's logs.

    Straight to each callback: the logs are plain floats already, and
    CallbackList's own dispatch costs more than a small epoch. Only the epochs
    someone hears of get a dict (one per epoch costs as much as a small epoch's
    graph work); the History takes the call's columns whole, plus what callbacks
    added to the logs they were handed (ReduceLROnPlateau adds the learning rate).
    """
    ran = len(columns["loss"])
    history.epoch.extend(range(first_epoch, first_epoch + ran))
    for name, values in columns.items():
        history.history.setdefault(name, []).extend(values)
    for epoch, callbacks in hearing.items():
        index = epoch - first_epoch
        if index >= ran:  # a loss stopped being finite before this epoch
            break
        logs = {name: values[index] for name, values in columns.items()}
        for callback in callbacks:
            if epoch > first_epoch:
                callback.on_epoch_begin(epoch)
            callback.on_epoch_end(epoch, logs)
        for name in logs.keys() - columns.keys():
            history.history.setdefault(name, []).append(logs[name])
    return {name: values[-1] for name, values in columns.items()} if ran else {}
