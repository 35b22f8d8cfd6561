"""Keras's own loop: model.compile + model.fit."""

from __future__ import annotations

import logging
import math

import keras

from framework.backends import selected
from framework.backends.job import TrainingJob, non_finite_loss_error
from framework.registry import STRATEGIES
from framework.registry.schema import ComponentConfig
from framework.strategies.base import TrainingStrategy
from framework.strategies.validation_sets import EvaluateValidationSets

log = logging.getLogger("framework")


class FitStrategyConfig(ComponentConfig):
    """Attributes:
    jit_compile: Compiles the training step with XLA.
    """

    jit_compile: bool


@STRATEGIES.register("fit", config=FitStrategyConfig)
class FitStrategy(TrainingStrategy):
    """Trains with `model.fit`, on the input its backend feeds best (framework.backends):
    one stream of batches spanning every epoch, `steps_per_epoch` at a time, so an
    epoch is still one pass over the data."""

    # Under a tf.distribute strategy model.fit averages the first batch across
    # replicas to build its metrics, which fails unless every replica gets as many examples.
    needs_even_replica_batches = True

    def __init__(self, jit_compile: bool):
        self.jit_compile = jit_compile
        self._logger_callback: keras.callbacks.Callback | None = None  # kept for loop_stats

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        backend = selected()
        job.model.compile(
            optimizer=job.optimizer, loss=job.loss, metrics=job.metrics(), jit_compile=self.jit_compile or backend.always_compiles
        )
        if self.jit_compile and job.model.jit_compile:
            log.info("XLA: the training step is compiled with XLA (jit_compile=True).")
        logger_callback = self._logger_callback = backend.logger_callback(job)
        validation_sets = [EvaluateValidationSets(job)] if job.validation_sets else []  # before whoever reads the logs
        history = keras.callbacks.History()
        callbacks = _OneTraining(
            [
                *([_RestoreEpochProgress(job)] if job.initial_step else []),
                # The NaN check first: nothing after it sees a non-finite epoch.
                _StopOnNonFiniteLoss(job), *validation_sets, logger_callback, _StopWhenRequested(job), *job.callbacks,
                *([_InsideEpochs(job)] if job.step_checkpoints or job.step_validation else []),
                history,
            ],
            add_progbar=job.verbose == 1,  # other levels: the epoch report speaks
            model=job.model, verbose=1 if job.verbose == 1 else 0, epochs=job.epochs, steps=job.data.steps_per_epoch,
        )
        try:
            epoch = job.initial_epoch
            if job.initial_step:  # resumed inside an epoch: its remaining steps first, as epoch `epoch` still
                self._fit(job, callbacks, epoch, job.initial_step, epoch + 1)
                epoch += 1
            if epoch < job.epochs and not job.model.stop_training:
                self._fit(job, callbacks, epoch, 0, job.epochs)
            callbacks.end_training({name: values[-1] for name, values in history.history.items()})
        finally:
            logger_callback.write_pending()  # Keras skips on_train_end when training fails
        return history

    def _fit(self, job: TrainingJob, callbacks: keras.callbacks.CallbackList, first_epoch: int, first_step: int,
             stop_epoch: int) -> None:
        """model.fit over epochs [first_epoch, stop_epoch), the first from its step `first_step`."""
        inputs = selected().fit_inputs(job, first_epoch, first_step, stop_epoch)
        job.model.fit(
            inputs.x,
            epochs=stop_epoch,
            initial_epoch=first_epoch,
            steps_per_epoch=inputs.steps_per_epoch,
            validation_data=inputs.validation_data,
            callbacks=callbacks,
            verbose=callbacks.params["verbose"],
            shuffle=False,  # the data source orders each epoch, seeded
        )

    def loop_stats(self) -> dict[str, int]:
        if self._logger_callback is None:
            return {}
        return self._logger_callback.loop_stats()


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises when an epoch's loss is not finite.

    Checked per epoch, not per step: a batch hook would make Keras wait for
    every step, and one non-finite step makes the epoch's mean loss non-finite.
    """

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job

    def on_epoch_end(self, epoch, logs=None):
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            raise non_finite_loss_error(self.job, epoch, loss)


class _StopWhenRequested(keras.callbacks.Callback):
    """Ends training after the current epoch when the job asks (a stop signal)."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job

    def on_epoch_end(self, epoch, logs=None):
        if self.job.stop_requested():
            self.model.stop_training = True


class _OneTraining(keras.callbacks.CallbackList):
    """The run's callbacks across the `fit` calls of one training: a run resumed inside an
    epoch fits the rest of that epoch, then the epochs after it, and its callbacks hear of
    one training (one `on_train_begin`, one `on_train_end`) with its epochs numbered as ever."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._began = False

    def on_train_begin(self, logs=None):
        if not self._began:
            self._began = True
            super().on_train_begin(logs)

    def on_train_end(self, logs=None):
        pass  # when the last fit call has ended: end_training

    def end_training(self, logs: dict[str, float]) -> None:
        super().on_train_end(logs)


def _metric_variables(model: keras.Model) -> list:
    """What fit keeps of an epoch so far: its loss tracker's sum and count, then the compiled
    metrics' variables, in the order the hand-written loop keeps the same values."""
    return [variable for metric in model.metrics for variable in metric.variables]


class _RestoreEpochProgress(keras.callbacks.Callback):
    """Puts back the running loss and metrics of the epoch a run resumes inside, after fit
    reset them as the epoch began, so the epoch's logs count its steps before the checkpoint."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job

    def on_train_begin(self, logs=None):
        # Some compiled metrics create their variables at their first update: created now.
        x, y = self.job.data.sample(1)
        self.model.compute_metrics(x, y, self.model(x, training=False))
        self.model.reset_metrics()

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.job.initial_epoch:
            for variable, value in zip(_metric_variables(self.model), self.job.epoch_progress, strict=True):
                variable.assign(value)


class _InsideEpochs(keras.callbacks.Callback):
    """Validates and writes the checkpoints due inside epochs (validation.every_n_steps,
    checkpoint.every_n_steps) after their step."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job
        self._first_step = 0  # the global step of the epoch's first batch

    def on_epoch_begin(self, epoch, logs=None):
        steps_done = self.job.initial_step if epoch == self.job.initial_epoch else 0
        self._first_step = epoch * self.job.data.steps_per_epoch + steps_done

    def on_train_batch_end(self, batch, logs=None):
        # Counted here, not read from the optimizer: on JAX reading the model waits for its state.
        step, job = self._first_step + batch + 1, self.job
        if job.step_validation is not None and job.step_validation.steps.due(step):
            job.step_validation.validate(self.model, step, running=_metric_variables(self.model))
        if job.step_checkpoints is not None and job.step_checkpoints.steps.due(step):
            progress = [keras.ops.convert_to_numpy(v.value) for v in _metric_variables(self.model)]
            job.step_checkpoints.save(step, progress)
