"""How to loop: the built-in training strategies; importing this package registers them in STRATEGIES."""

from framework.backends.job import TrainingJob
from framework.strategies.base import TrainingStrategy
from framework.strategies.fit import FitStrategy
from framework.strategies.tape import TapeStrategy

__all__ = ["FitStrategy", "TapeStrategy", "TrainingJob", "TrainingStrategy"]
