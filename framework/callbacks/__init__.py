"""Keras callbacks the framework adds to a run, one per file; every strategy calls them.
Importing this package registers Keras's callbacks offered by key in CALLBACKS."""

from framework.callbacks.best_model import best_model_callbacks
from framework.callbacks.checkpoint_saver import CheckpointSaver
from framework.callbacks.config_callbacks import config_callbacks
from framework.callbacks.early_stopping import (
    BestWeightsRestorer,
    ResumableEarlyStopping,
    best_weights_callbacks,
    early_stopping_callback,
)
from framework.callbacks.epoch_report import EpochReport
from framework.callbacks.lr_on_plateau import lr_on_plateau_callbacks
from framework.callbacks.optuna_pruning import OptunaPruning, pruning_callbacks
from framework.callbacks.profiler_trace import ProfilerTrace
from framework.callbacks.progress_bar import ProgressBar
from framework.callbacks.scheduled import (
    EpochCallback,  # the base of callbacks that declare when they act
)

__all__ = [
    "BestWeightsRestorer",
    "CheckpointSaver",
    "EpochCallback",
    "EpochReport",
    "OptunaPruning",
    "ProfilerTrace",
    "ProgressBar",
    "best_model_callbacks",
    "best_weights_callbacks",
    "config_callbacks",
    "pruning_callbacks",
    "ResumableEarlyStopping",
    "early_stopping_callback",
    "lr_on_plateau_callbacks",
]
