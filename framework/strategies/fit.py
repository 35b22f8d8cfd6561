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
        inputs = backend.fit_inputs(job)
        validation_sets = [EvaluateValidationSets(job)] if job.validation_sets else []  # before whoever reads the logs
        try:
            history = job.model.fit(
                inputs.x,
                epochs=job.epochs,
                initial_epoch=job.initial_epoch,
                steps_per_epoch=inputs.steps_per_epoch,
                validation_data=inputs.validation_data,
                # The NaN check first: nothing after it sees a non-finite epoch.
                callbacks=[_StopOnNonFiniteLoss(job), *validation_sets, logger_callback, _StopWhenRequested(job), *job.callbacks],
                verbose=1 if job.verbose == 1 else 0,  # other levels: the epoch report speaks
                shuffle=False,  # the data source orders each epoch, seeded
            )
        finally:
            logger_callback.write_pending()  # Keras skips on_train_end when training fails
        return history

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
