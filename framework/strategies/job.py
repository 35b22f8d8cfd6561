"""What a training strategy is handed: everything about *what* to train."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import keras

from framework.data.synthetic import SyntheticData


@dataclass
class TrainingJob:
    """The components of one run, independent of how the loop is written.

    Attributes:
        model: The Keras model to train (built).
        loss: The Keras loss.
        optimizer: The Keras optimizer.
        data: The data source; each epoch is one pass over its training examples.
        epochs: Number of epochs.
        callbacks: Keras callbacks; every strategy calls them at the same points.
    """

    model: keras.Model
    loss: keras.losses.Loss
    optimizer: keras.optimizers.Optimizer
    data: SyntheticData
    epochs: int
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)


class TrainingStrategy(abc.ABC):
    """How to loop. Strategies differ in mechanics only: given the same job and
    seed they produce the same weights, logs and callback calls."""

    @abc.abstractmethod
    def train(self, job: TrainingJob) -> keras.callbacks.History:
        """Trains `job.model` in place and returns the per-epoch logs."""
