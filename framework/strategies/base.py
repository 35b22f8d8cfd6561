"""What a training strategy is: how to loop, given a TrainingJob (framework.backends.job)."""

from __future__ import annotations

import abc
from typing import ClassVar

import keras

from framework.backends.job import TrainingJob


class TrainingStrategy(abc.ABC):
    """How to loop. Strategies differ in mechanics only: given the same job and
    seed they produce the same weights, logs and callback calls."""

    # What a strategy asks of a distribution, checked with the config (framework.config.plan).
    needs_even_replica_batches: ClassVar[bool] = False  # every replica must get as many examples
    compiles_xla_across_replicas: ClassVar[bool] = True  # jit_compile works under a distribution
    computes_metrics_across_replicas: ClassVar[bool] = True  # `metrics` are exact under a distribution

    @abc.abstractmethod
    def train(self, job: TrainingJob) -> keras.callbacks.History:
        """Trains `job.model` in place and returns the per-epoch logs."""

    def loop_stats(self) -> dict[str, int]:
        """Counts that show how the last `train` ran (graph calls, traces), for tests and summary.json."""
        return {}
