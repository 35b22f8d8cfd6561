"""Keras's own loop: model.compile + model.fit."""

from __future__ import annotations

import keras
import pydantic

from framework.registry import STRATEGIES
from framework.strategies.job import TrainingJob, TrainingStrategy
from framework.validation import ComponentConfig


class FitStrategyConfig(ComponentConfig):
    """Attributes:
    jit_compile: Compiles the training step with XLA.
    verbose: 0 silent, 1 a progress bar, 2 one line per epoch.
    """

    jit_compile: bool
    verbose: int = pydantic.Field(ge=0, le=2)


@STRATEGIES.register("fit", config=FitStrategyConfig)
class FitStrategy(TrainingStrategy):
    """Trains with `model.fit` on the job's tf.data pipelines."""

    def __init__(self, jit_compile: bool, verbose: int):
        self.jit_compile = jit_compile
        self.verbose = verbose

    def train(self, job: TrainingJob) -> keras.callbacks.History:
        job.model.compile(optimizer=job.optimizer, loss=job.loss, jit_compile=self.jit_compile)
        return job.model.fit(
            job.data.train_dataset(job.epochs),
            epochs=job.epochs,
            steps_per_epoch=job.data.steps_per_epoch,
            validation_data=job.data.validation_dataset(),
            callbacks=job.callbacks,
            verbose=self.verbose,
            shuffle=False,  # the data source shuffles, seeded
        )
