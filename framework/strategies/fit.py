"""Keras's own loop: model.compile + model.fit."""

from __future__ import annotations

import logging
import math

import keras

from framework.callbacks.logger_callback import LoggerCallback
from framework.registry import STRATEGIES
from framework.strategies.job import TrainingJob, TrainingStrategy, non_finite_loss_error
from framework.validation import ComponentConfig

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

    def __init__(self, jit_compile: bool):
        self.jit_compile = jit_compile

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        job.model.compile(optimizer=job.optimizer, loss=job.loss, jit_compile=self.jit_compile)
        if job.model.jit_compile:
            log.info("XLA: the training step is compiled with XLA (jit_compile=True).")
        history = job.model.fit(
            job.data.train_dataset(job.epochs, job.initial_epoch),
            epochs=job.epochs,
            initial_epoch=job.initial_epoch,
            steps_per_epoch=job.data.steps_per_epoch,
            validation_data=job.data.validation_dataset(),
            callbacks=[
                LoggerCallback(job.logger, job.epochs),
                _StopWhenRequested(job),
                *job.callbacks,
                _StopOnNonFiniteLoss(job),
            ],
            verbose=1 if job.verbose == 1 else 0,  # other levels: the epoch report speaks
            shuffle=False,  # the data source orders each epoch, seeded
        )
        return history


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises at the first step whose loss is not finite, as the tape strategy does."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            raise non_finite_loss_error(self.job, self._epoch, loss)


class _StopWhenRequested(keras.callbacks.Callback):
    """Ends training after the current epoch when the job asks (a stop signal)."""

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job

    def on_epoch_end(self, epoch, logs=None):
        if self.job.stop_requested():
            self.model.stop_training = True
