"""Distribution strategies: how one run spreads over devices and machines.

Importing this package registers the built-in distributions in DISTRIBUTIONS.
"""

from framework.distribution.base import Distribution, Placement
from framework.distribution.mirrored import MirroredDistribution
from framework.distribution.multi_worker import MultiWorkerDistribution
from framework.distribution.single_device import SingleDevice
from framework.registry import DISTRIBUTIONS

__all__ = [
    "DISTRIBUTIONS",
    "Distribution",
    "MirroredDistribution",
    "MultiWorkerDistribution",
    "Placement",
    "SingleDevice",
]
