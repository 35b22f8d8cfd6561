"""Pruning (`pruning=median|hyperband` with sweep=optuna): a trial reports its objective and
stops when its pruner says it falls behind.

At every `pruning.report_every_n_epochs`-th epoch (and the last) the run
reports its objective (objective.metric, as it returns it) to its Optuna
trial, at step = epochs trained, and asks the study's pruner whether to go
on. A pruned trial stops there, as early stopping stops a run: its model,
summary and plots are written, summary.json says PRUNED, and the sweeper
tells the study PRUNED. Under the tape strategy each report ends a graph
call, so a pruned run stops at the same epoch under both strategies.
"""

from __future__ import annotations

import logging
from typing import Any

from framework.callbacks.scheduled import EpochCallback
from framework.config.pruning_selection import PruningSelection
from framework.result import objective_value
from framework.schedules import Schedule
from framework.sweeps.job import TrialRef
from framework.sweeps.trial import load_trial

log = logging.getLogger("framework")


class OptunaPruning(EpochCallback):
    """Reports the run's objective to its Optuna trial; stops training when the trial is pruned.

    Args:
        trial: The live optuna.Trial (its study holds the pruner).
        objective_metric: The objective's log name (objective.metric); None: val_loss if logged, else loss.
        reports: The epochs that report (each may stop training, so each ends a compiled call).
    """

    def __init__(self, trial: Any, objective_metric: str | None, reports: Schedule):
        super().__init__()
        self.trial = trial
        self.objective_metric = objective_metric
        self.acts_on = self.model_at_epoch_end = reports
        self.pruned_at_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.pruned_at_epoch is not None or not self.acts_at(epoch):
            return
        self.trial.report(float(objective_value(logs or {}, self.objective_metric)), step=epoch + 1)
        if self.trial.should_prune():
            self.pruned_at_epoch = epoch
            self.model.stop_training = True
            log.info("Optuna pruned trial %d after epoch %d: its objective falls behind the study's.", self.trial.number, epoch + 1)


def pruning_callbacks(
    pruning: PruningSelection, trial: TrialRef | None, objective_metric: str | None, epochs: int
) -> list[OptunaPruning]:
    """The pruning callback of a sweep job whose config selects a pruner; none otherwise."""
    if not pruning.enabled or trial is None:
        return []
    pruner = pruning.pruner.build()
    return [OptunaPruning(load_trial(trial, pruner), objective_metric, pruning.settings.schedule(epochs))]
