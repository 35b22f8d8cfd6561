"""What every distribution shares: a config-built description that starts a tf.distribute
strategy, a keras.distribution (JAX), or neither."""

from __future__ import annotations

import abc
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


# Set by framework.launch for a worker other than the chief: the run directory it was given, its own.
PRIVATE_RUN_DIR = "FRAMEWORK_PRIVATE_RUN_DIR"


@dataclass(frozen=True)
class LocalDevices:
    """The devices of this process a run may train on.

    Attributes:
        gpus: Names of the GPUs the backend may use; empty when training on the CPU.
    """

    gpus: tuple[str, ...]


@dataclass(frozen=True)
class Placement:
    """Where a started run trains, and whether this process writes its results.

    Attributes:
        strategy: The tf.distribute strategy; None trains on one device with
            no tf.distribute machinery at all.
        is_chief: Whether this process writes the run directory (TensorBoard
            events, model, summary). One process per run is the chief.
        keras_distribution: On JAX, the keras.distribution that lays out
            variables and batches over the devices of every process; None
            without one.
        check_model: Called with the built model: raises if the distribution
            was configured for variables the model does not have.
    """

    strategy: tf.distribute.Strategy | None
    is_chief: bool = True
    keras_distribution: keras.distribution.Distribution | None = None
    check_model: Callable[[keras.Model], None] = lambda model: None

    @property
    def replicas(self) -> int:
        """How many replicas (devices, over every process) split each training step's batch:
        under keras.distribution, the devices along its batch axis."""
        if self.strategy is not None:
            return self.strategy.num_replicas_in_sync
        if self.keras_distribution is not None:
            mesh = self.keras_distribution.device_mesh
            return mesh.shape[mesh.axis_names.index(self.keras_distribution.batch_dim_name)]
        return 1

    def scope(self) -> contextlib.AbstractContextManager:
        """Variables (model, optimizer, metrics) created inside are placed by the strategy or distribution."""
        if self.strategy is not None:
            return self.strategy.scope()
        if self.keras_distribution is not None:
            return self.keras_distribution.scope()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def output_dir(self, run_dir: Path) -> Iterator[Path]:
        """The directory this process writes: `run_dir` for the chief; for other
        workers a temporary one, deleted afterwards, so they run the same code
        (the collectives need every worker to) without touching the run; or
        `run_dir` itself where the launcher made it this worker's own (PRIVATE_RUN_DIR):
        a worker resuming reads its copy of the chief's checkpoints there."""
        if self.is_chief or os.environ.get(PRIVATE_RUN_DIR) == str(Path(run_dir).resolve()):
            yield run_dir
            return
        scratch = Path(tempfile.mkdtemp(prefix="framework-worker-"))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


class Distribution(abc.ABC):
    """How a run spreads over devices and machines, as configured by `distribution=`.

    Building one touches no TensorFlow device; `start` creates the strategy and
    must come before any other TensorFlow op of the process.
    """

    # Training strategy keys this distribution cannot run, each with the reason
    # (checked with the config, framework.config.plan).
    unsupported_strategies: ClassVar[dict[str, str]] = {}
    # Whether training runs on replicas of a tf.distribute strategy.
    replicated: ClassVar[bool] = True
    # Whether every batch must split evenly over the replicas: jax.sharding splits only evenly
    # (checked once the data is built, framework.config.plan.check_started_run).
    splits_batches_evenly_only: ClassVar[bool] = False
    # The Keras backends it runs on (checked with the config, framework.config.plan).
    backends: ClassVar[tuple[str, ...]] = ("tensorflow",)

    def before_backend_starts(self) -> None:
        """What the backend reads once, when it starts (how many CPU devices, which processes
        form the job): called before the backend's first op, even before devices are listed."""

    @abc.abstractmethod
    def start(self, devices: LocalDevices) -> Placement:
        """Creates the tf.distribute strategy over `devices`."""
