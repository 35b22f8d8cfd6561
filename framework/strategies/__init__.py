"""Built-in training strategies; importing this package registers them in STRATEGIES."""

from framework.strategies.fit import FitStrategy
from framework.strategies.job import TrainingJob, TrainingStrategy
from framework.strategies.tape import TapeStrategy

__all__ = ["FitStrategy", "TapeStrategy", "TrainingJob", "TrainingStrategy"]
