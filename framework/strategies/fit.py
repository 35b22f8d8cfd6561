"""Keras's own loop: model.compile + model.fit."""

from __future__ import annotations

import logging
import math

import keras

from framework.backends.tensorflow.examples import TensorFlowExamples, held_out_dataset, training_dataset
from framework.config.schema import ComponentConfig
from framework.registry import STRATEGIES
from framework.strategies.base import (
    TrainingJob,
    TrainingStrategy,
    non_finite_loss_error,
)
from framework.strategies.fit_logging import LoggerCallback

log = logging.getLogger("framework")


class FitStrategyConfig(ComponentConfig):
    """Attributes:
    jit_compile: Compiles the training step with XLA.
    """

    jit_compile: bool


@STRATEGIES.register("fit", config=FitStrategyConfig)
class FitStrategy(TrainingStrategy):
    """Trains with `model.fit` on one tf.data pipeline spanning every epoch.

    A pipeline over all epochs with `steps_per_epoch` spares Keras from
    rebuilding its iterator each epoch, the main per-epoch cost of
    `fit(x, y)` on small data, while an epoch is still one pass over the data.
    """

    # Under a tf.distribute strategy model.fit averages the first batch across
    # replicas to build its metrics, which fails unless every replica gets as many examples.
    needs_even_replica_batches = True

    def __init__(self, jit_compile: bool):
        self.jit_compile = jit_compile
        self._logger_callback: LoggerCallback | None = None  # kept for loop_stats

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        job.model.compile(optimizer=job.optimizer, loss=job.loss, metrics=job.metrics(), jit_compile=self.jit_compile)
        if job.model.jit_compile:
            log.info("XLA: the training step is compiled with XLA (jit_compile=True).")
        logger_callback = self._logger_callback = LoggerCallback(job.logger, job.records)
        examples = TensorFlowExamples(job.data)
        try:
            history = job.model.fit(
                training_dataset(examples, job.epochs, job.initial_epoch),
                epochs=job.epochs,
                initial_epoch=job.initial_epoch,
                steps_per_epoch=job.data.steps_per_epoch,
                validation_data=held_out_dataset(examples, "validation"),
                # The NaN check first: nothing after it sees a non-finite epoch.
                callbacks=[_StopOnNonFiniteLoss(job), logger_callback, _StopWhenRequested(job), *job.callbacks],
                verbose=1 if job.verbose == 1 else 0,  # other levels: the epoch report speaks
                shuffle=False,  # the data source orders each epoch, seeded
            )
        finally:
            logger_callback.write_pending()  # Keras skips on_train_end when training fails
        return history

    def loop_stats(self) -> dict[str, int]:
        if self._logger_callback is None:
            return {}
        return {"logger_writes": self._logger_callback.writes, "logger_traces": self._logger_callback.tracing_count}


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
