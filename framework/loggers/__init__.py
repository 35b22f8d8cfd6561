"""Loggers: what a run records. Importing this package registers the built-in ones in LOGGERS;
logger=mlflow and logger=wandb need the `mlflow` and `wandb` extras, imported only when selected."""

from framework.loggers.base import Cadence, LoggerContext, RunLogger, RunOutcome
from framework.loggers.csv_file import CsvLogger
from framework.loggers.fan_out import FanOutLogger
from framework.loggers.mlflow_tracking import MlflowLogger
from framework.loggers.none import NoLogger
from framework.loggers.tensorboard import TensorBoardLogger
from framework.loggers.wandb_tracking import WandbLogger

__all__ = [
    "Cadence", "CsvLogger", "FanOutLogger", "LoggerContext", "MlflowLogger", "NoLogger", "RunLogger", "RunOutcome", "TensorBoardLogger",
    "WandbLogger",
]
