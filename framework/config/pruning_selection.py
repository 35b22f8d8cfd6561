"""The pruning group: whether a sweep=optuna trial can be stopped early, and when it reports.

`pruning=median` (configs/pruning/<key>.yaml) selects an Optuna pruner from
PRUNERS; `pruning.report_every_n_epochs` (configs/train.yaml) is when a
trial reports its objective, the same for every pruner. Pruning needs the
Optuna trial a sweep=optuna multirun hands each job; anything else is refused
before anything is written (`check_pruning_has_a_trial`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pydantic

from framework.errors import ConfigError
from framework.registry import PRUNERS, Resolved
from framework.registry.schema import ComponentConfig, validate_fields
from framework.schedules import Every

# The sweeper that hands jobs their trials (configs/sweep/optuna.yaml).
STUDY_SWEEPER = "hydra_plugins.framework_sweeper.optuna_study_sweeper.OptunaStudySweeper"
# Reports per run by default: the checkpoints' default cadence, so under the tape
# strategy the reports end no more graph calls than the checkpoints do.
_REPORTS_PER_RUN = 10


class PruningSettings(ComponentConfig):
    """Attributes:
    report_every_n_epochs: A trial reports its objective to Optuna (and may be
        pruned) every N epochs and at the last; 0 picks N so a run reports
        about ten times (every epoch for runs of up to ten epochs). Under the
        tape strategy each report ends a graph call.
    """

    report_every_n_epochs: Annotated[int, pydantic.Field(ge=0)]

    def schedule(self, epochs: int) -> Every:
        """The epochs of a run of `epochs` that report: every report_every_n_epochs-th
        (about ten a run when 0) and the last."""
        if self.report_every_n_epochs:
            return Every(self.report_every_n_epochs, last=True)
        return Every.about(_REPORTS_PER_RUN, epochs)


@dataclass(frozen=True)
class PruningSelection:
    """The pruner a run's trial is judged by, resolved but not built.

    Attributes:
        settings: When the trial reports.
        pruner: The selected pruner; key "none" prunes nothing.
    """

    settings: PruningSettings
    pruner: Resolved

    @property
    def enabled(self) -> bool:
        return self.pruner.key != "none"


def resolve_pruning(spec: Any, where: str = "pruning") -> PruningSelection:
    """Validates the pruning group's config: the report cadence and the pruner's arguments.

    Raises:
        ConfigError: The pruner is unknown, or an argument is invalid.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected the pruning group's mapping. Received: {spec!r}. Select one with pruning=median.")
    shared = PruningSettings.model_fields
    settings = PruningSettings(**validate_fields(PruningSettings, {k: v for k, v in spec.items() if k in shared}, where, "pruning"))
    pruner = PRUNERS.resolve({k: v for k, v in spec.items() if k not in shared}, where=where)
    return PruningSelection(settings, pruner)


def check_pruning_has_a_trial(pruner_key: str, has_trial: bool, multirun: bool) -> None:
    """Refuses a pruner where no Optuna trial is handed to the run: without -m and sweep=optuna.

    Args:
        pruner_key: The selected pruner.
        has_trial: Whether the run gets a trial (the CLI: whether the sweeper is sweep=optuna's).
        multirun: Whether the run is a job of a multirun.

    Raises:
        ConfigError: pruning is set, but the run is not a job of a sweep=optuna multirun.
    """
    if pruner_key == "none" or (multirun and has_trial):
        return
    where = "this is a single run (no -m)" if not multirun else "this multirun's sweeper is not sweep=optuna's"
    raise ConfigError(
        f"pruning={pruner_key} stops Optuna trials that fall behind, but {where}, so there is no trial to "
        f"prune. Run a study: python -m framework.train -m sweep=optuna pruning={pruner_key} ..., or drop "
        f"pruning (pruning=none)."
    )
