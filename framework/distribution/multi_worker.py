"""distribution=multi_worker: several processes (machines), each with its local replicas.

TensorFlow's MultiWorkerMirroredStrategy reads the cluster from the TF_CONFIG
environment variable: every worker's address, and which one this process is.
`python -m framework.launch` sets it for workers on one machine; on a SLURM
cluster `cluster: slurm` builds it from SLURM's environment.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Annotated, Literal

import pydantic

from framework.distribution.base import Distribution, LocalDevices, Placement
from framework.distribution.tf_config import environment_tf_config, slurm_tf_config
from framework.errors import DistributionError
from framework.registry import DISTRIBUTIONS
from framework.registry.schema import ComponentConfig

log = logging.getLogger("framework")

_KERAS_FIT_LIMITATION = (
    "Keras 3's model.fit cannot train under MultiWorkerMirroredStrategy: it reduces the first "
    "batch and every step's logs across workers with Strategy.reduce on PerReplica values, which "
    "fails ('Attempt to convert a value (PerReplica:{...}) with an unsupported type'). "
    "Use strategy=tape: the same training, with gradients all-reduced across workers; or train with fit "
    "across processes on JAX: python -m framework.launch --workers N backend=jax distribution=data_parallel."
)


class MultiWorkerConfig(ComponentConfig):
    """Attributes:
    cluster: Where the cluster is described: `tf_config` reads the TF_CONFIG
        environment variable (set by framework.launch, or by you); `slurm`
        builds it from the SLURM job's environment.
    port: With cluster=slurm, the port of the first worker on each node.
    """

    cluster: Literal["tf_config", "slurm"]
    port: Annotated[int, pydantic.Field(ge=1024, le=65535)]


@DISTRIBUTIONS.register("multi_worker", config=MultiWorkerConfig)
class MultiWorkerDistribution(Distribution):
    """tf.distribute.MultiWorkerMirroredStrategy: synchronous training over
    workers; worker 0 is the chief and alone writes the run directory."""

    unsupported_strategies = {"fit": _KERAS_FIT_LIMITATION}

    def __init__(self, cluster: str, port: int):
        self.cluster = cluster
        self.port = port

    def start(self, devices: LocalDevices) -> Placement:
        import tensorflow as tf  # TensorFlow's own distribution: imported when used, so a JAX run never loads it

        tf.get_logger().setLevel(logging.WARNING)  # tf.distribute logs every reduction at INFO
        tf_config = _CLUSTER_SOURCES[self.cluster](self.port)
        os.environ["TF_CONFIG"] = json.dumps(tf_config)
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except (RuntimeError, ValueError) as error:
            raise DistributionError(
                f"distribution=multi_worker: MultiWorkerMirroredStrategy could not start ({error}). "
                f"It must be created before TensorFlow starts, once per process: run each "
                f"worker in a fresh process, e.g. with python -m framework.launch --workers N."
            ) from None
        task = tf_config["task"]
        is_chief = task["type"] == "chief" or (
            task["type"] == "worker" and task["index"] == 0 and "chief" not in tf_config["cluster"]
        )
        log.info(
            "Distribution: MultiWorkerMirroredStrategy, %s %d of %d worker(s), %d replica(s) in all%s",
            task["type"],
            task["index"],
            sum(len(addresses) for addresses in tf_config["cluster"].values()),
            strategy.num_replicas_in_sync,
            " (chief: writes the run directory)" if is_chief else "",
        )
        return Placement(strategy=strategy, is_chief=is_chief)


# distribution.cluster -> how this worker's TF_CONFIG is found, given distribution.port.
_CLUSTER_SOURCES: dict[str, Callable[[int], dict]] = {
    "tf_config": lambda port: environment_tf_config(),  # the addresses are in TF_CONFIG itself
    "slurm": lambda port: slurm_tf_config(os.environ, port),
}
