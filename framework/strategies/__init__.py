"""How to loop: the built-in training strategies; importing this package registers them in STRATEGIES."""

from framework.strategies.base import TrainingJob, TrainingStrategy
from framework.strategies.fit import FitStrategy
from framework.strategies.tape import TapeStrategy

__all__ = ["FitStrategy", "TapeStrategy", "TrainingJob", "TrainingStrategy"]
