"""distribution=none: one device, no tf.distribute machinery (and no overhead)."""

from __future__ import annotations

from framework.distribution.base import Distribution, LocalDevices, Placement
from framework.registry import DISTRIBUTIONS


@DISTRIBUTIONS.register("none", config=None)
class SingleDevice(Distribution):
    """Trains on the backend's default device: the first GPU if any, else the CPU."""

    replicated = False
    backends = ("tensorflow", "jax")

    def start(self, devices: LocalDevices) -> Placement:
        return Placement(strategy=None)
