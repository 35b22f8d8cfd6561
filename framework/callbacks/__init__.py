"""Callbacks shared by every strategy; importing this package registers the loggers."""

from framework.callbacks.epoch_report import EpochReport
from framework.callbacks.run_logger import RunLogger
from framework.callbacks.tensorboard_logger import NoLogger, TensorBoardLogger

__all__ = ["EpochReport", "NoLogger", "RunLogger", "TensorBoardLogger"]
