"""The sweeper `sweep=optuna` selects: Hydra's Optuna sweeper with a study that persists,
prunes and resumes (framework.sweeps.optuna_sweeper holds the logic).

Hydra imports every module here at start-up to find its plugins, so this one
imports Optuna and the framework only when Hydra builds the sweeper.
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class OptunaStudySweeper(Sweeper):
    """Takes the keys of Hydra's Optuna sweeper (hydra.sweeper.*)."""

    def __init__(self, **settings: Any) -> None:
        from framework.sweeps.optuna_sweeper import StudySweeper

        self.sweeper = StudySweeper(**settings)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> None:
        return self.sweeper.sweep(arguments)
