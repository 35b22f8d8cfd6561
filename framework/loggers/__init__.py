"""Loggers: what a run records. Importing this package registers the built-in ones in LOGGERS."""

from framework.loggers.base import Cadence, RunLogger
from framework.loggers.none import NoLogger
from framework.loggers.tensorboard import TensorBoardLogger

__all__ = ["Cadence", "NoLogger", "RunLogger", "TensorBoardLogger"]
