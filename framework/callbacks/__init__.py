"""Callbacks shared by every strategy; importing this package registers the loggers."""

from framework.callbacks.epoch_callback import EpochCallback, needs_live_model
from framework.callbacks.epoch_report import EpochReport
from framework.callbacks.logger_callback import LoggerCallback
from framework.callbacks.run_logger import RunLogger
from framework.callbacks.tensorboard_logger import NoLogger, TensorBoardLogger

__all__ = [
    "EpochCallback",
    "EpochReport",
    "LoggerCallback",
    "NoLogger",
    "RunLogger",
    "TensorBoardLogger",
    "needs_live_model",
]
