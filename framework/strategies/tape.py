"""The hand-written training loop: many epochs per compiled call, on every backend."""

from __future__ import annotations

import logging
from typing import Annotated

import keras
import numpy as np
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
        position, logs = _Position.resumed(job, self.compiled), {}
        epochs_per_call = max(1, self.steps_per_call // job.data.steps_per_epoch)
        # Training stops only where an epoch ends: a call may end inside one (work due at a step).
        while position.epoch < job.epochs and (position.step or not (model.stop_training or job.stop_requested())):
            epoch = position.epoch
            end, end_step = position.call_end(plan.call_end(epoch, limit=epoch + epochs_per_call))
            complete = end if end_step is None else end - 1  # the epochs this call ends
            hearing = plan.hearing(epoch, max(complete, epoch + 1))
            if position.begins_epoch:
                for callback in hearing.get(epoch, []):  # the model is as the first epoch begins
                    callback.on_epoch_begin(epoch)
            results, recorded, finite = self.compiled.run(epoch, end - epoch, position.step, end_step, position.loss)
            if end_step is None:  # the call ended its last epoch (with validation sets, its only one)
                results = validation_sets.with_values(epoch, results, recorded, finite)
            if self.jit_compile and self.compiled.calls == 1:
                log.info("XLA: the training step is compiled with XLA (jit_compile=True).")
            ran = min(len(results["loss"]) - (0 if finite else 1), complete - epoch)
            job.run_records.add_columns(epoch, {name: values[:ran] for name, values in {**results, **recorded}.items()})
            logs = _replay(hearing, epoch, {name: values[:ran] for name, values in results.items()}, history) or logs
            if not finite:
                raise non_finite_loss_error(job, epoch + len(results["loss"]) - 1, results["loss"][-1])
            job.logger.flush()
            position = position.after_call(end, end_step, results["loss"][-1])
        callbacks.on_train_end(logs)
        log.debug("Tape loop: %d graph call(s), traced %d time(s).", self.compiled.calls, self.compiled.tracing_count)
        return history

    def loop_stats(self) -> dict[str, int]:
        if self.compiled is None:
            return {}
        return {"graph_calls": self.compiled.calls, "traces": self.compiled.tracing_count}


class _Position:
    """Where the loop stands: `step` steps into epoch `epoch`, with that epoch's loss so far
    (its sum over the examples seen, and their count)."""

    def __init__(self, job: TrainingJob, loop: EpochLoop, epoch: int, step: int, loss: tuple[float, float], begins: bool):
        self.job, self.loop = job, loop
        self.epoch, self.step, self.loss = epoch, step, loss
        self.begins_epoch = begins  # whether the epoch's callbacks have yet to hear it begin

    @classmethod
    def resumed(cls, job: TrainingJob, loop: EpochLoop) -> _Position:
        """Where the job starts; inside an epoch, the loop's metrics are put back as the checkpoint kept them."""
        if not job.initial_step:
            return cls(job, loop, job.initial_epoch, 0, (0.0, 0.0), begins=True)
        total, count, *metric_values = job.epoch_progress
        for variable, value in zip([v for m in loop.metrics for v in m.variables], metric_values, strict=True):
            variable.assign(value)
        return cls(job, loop, job.initial_epoch, job.initial_step, (float(total), float(count)), begins=True)

    def call_end(self, end: int) -> tuple[int, int | None]:
        """The end of a call planned to run up to epoch `end` (exclusive): (epochs it touches,
        the step its last one stops at, or None for its end), ending at the next step where a
        checkpoint or validation is due."""
        steps_per_epoch = self.job.data.steps_per_epoch
        due = self.job.next_step_inside_epochs(self.global_step)
        if due is None or due >= end * steps_per_epoch:
            return end, None
        return due // steps_per_epoch + 1, due % steps_per_epoch

    def after_call(self, end: int, end_step: int | None, last_loss: float) -> _Position:
        """Where a call that ended there leaves the loop; inside an epoch, what is due there is done."""
        if end_step is None:
            return _Position(self.job, self.loop, end, 0, (0.0, 0.0), begins=True)
        count = float(min(end_step * self.job.data.batch_size, self.job.data.num_train_examples))
        after = _Position(self.job, self.loop, end - 1, end_step, (last_loss * count, count), begins=False)
        job, step = self.job, after.global_step
        if job.step_validation is not None and job.step_validation.steps.due(step):
            job.step_validation.validate(job.model, step)  # the loop's metrics are its own: evaluate leaves them
        if job.step_checkpoints is not None and job.step_checkpoints.steps.due(step):
            metric_values = [variable.numpy() for metric in self.loop.metrics for variable in metric.variables]
            job.step_checkpoints.save(step, [np.float32(last_loss * count), np.float32(count), *metric_values])
        return after

    @property
    def global_step(self) -> int:
        return self.epoch * self.job.data.steps_per_epoch + self.step


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
