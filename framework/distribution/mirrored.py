"""distribution=mirrored: one machine, one replica per GPU (or per logical CPU device)."""

from __future__ import annotations

import logging
from typing import Annotated

import pydantic

from framework.distribution.base import Distribution, LocalDevices, Placement
from framework.errors import DistributionError
from framework.registry import DISTRIBUTIONS
from framework.registry.schema import ComponentConfig

log = logging.getLogger("framework")


class MirroredConfig(ComponentConfig):
    """Attributes:
    cpu_replicas: Replicas when training on the CPU (no GPU, or device=cpu):
        the CPU is split into this many logical devices. Useful to test
        distributed training on a laptop; with GPUs each GPU is a replica.
    """

    cpu_replicas: Annotated[int, pydantic.Field(ge=1)]


@DISTRIBUTIONS.register("mirrored", config=MirroredConfig)
class MirroredDistribution(Distribution):
    """tf.distribute.MirroredStrategy: every replica holds a copy of the
    variables; gradients are summed across replicas each step."""


    def __init__(self, cpu_replicas: int):
        self.cpu_replicas = cpu_replicas

    def start(self, devices: LocalDevices) -> Placement:
        import tensorflow as tf  # TensorFlow's own distribution: imported when used, so a JAX run never loads it

        tf.get_logger().setLevel(logging.WARNING)  # tf.distribute logs every reduction at INFO
        if devices.gpus:
            if self.cpu_replicas > 1:
                log.info("distribution.cpu_replicas=%d is ignored: training on the GPUs.", self.cpu_replicas)
            strategy = tf.distribute.MirroredStrategy()  # every visible GPU
        else:
            strategy = tf.distribute.MirroredStrategy(devices=split_cpu(self.cpu_replicas))
        log.info(
            "Distribution: MirroredStrategy, %d replica(s) on %s",
            strategy.num_replicas_in_sync,
            ", ".join(strategy.extended.worker_devices),
        )
        return Placement(strategy=strategy)


def split_cpu(replicas: int) -> list[str]:
    """Splits the CPU into `replicas` logical devices; returns their names.

    Raises:
        DistributionError: TensorFlow already started in this process with a
            different number of CPU devices.
    """
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    except RuntimeError:  # TensorFlow has started; fine if it has the wanted layout already
        started_with = len(tf.config.list_logical_devices("CPU"))
        if started_with != replicas:
            raise DistributionError(
                f"distribution.cpu_replicas={replicas}: the CPU must be split into {replicas} "
                f"logical devices before TensorFlow starts, but TensorFlow already started in "
                f"this process with {started_with} CPU device(s). Run it in a fresh process "
                f"(python -m framework.train ...), not after another run in the same process."
            ) from None
    return [device.name for device in tf.config.list_logical_devices("CPU")[:replicas]]
