"""How to loop: the built-in training strategies; importing this package registers them in STRATEGIES."""

from framework.strategies.base import TrainingJob, TrainingStrategy
from framework.strategies.fit import FitStrategy
from framework.strategies.live_model import EpochCallback
from framework.strategies.tape import TapeStrategy

__all__ = ["EpochCallback", "FitStrategy", "TapeStrategy", "TrainingJob", "TrainingStrategy"]
