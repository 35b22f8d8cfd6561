"""pruning=median|hyperband|none: the Optuna pruner that judges a sweep=optuna trial.

A pruner compares the objective a trial reports at an epoch with what the
study's other trials reported at that epoch, and stops a trial that is
hopeless (framework.callbacks.optuna_pruning). Optuna counts in steps; a
step here is an epoch, so `n_warmup_steps` and `min_resource` are epochs.
Optuna is imported only when a pruner is built.
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic

from framework.registry import PRUNERS
from framework.registry.schema import ComponentConfig


class NoPrunerConfig(ComponentConfig):
    """No keys: every trial runs to its end."""


@PRUNERS.register("none", config=NoPrunerConfig)
def no_pruner() -> None:
    """Prunes nothing; trials report nothing, so the loop pays nothing."""
    return None


class MedianPrunerConfig(ComponentConfig):
    """Attributes:
    n_startup_trials: Trials that run to their end before any is pruned (the median needs some).
    n_warmup_steps: Epochs of each trial before it can be pruned.
    interval_steps: Epochs between two pruning checks, counted from the warm-up's end.
    """

    n_startup_trials: Annotated[int, pydantic.Field(ge=0)]
    n_warmup_steps: Annotated[int, pydantic.Field(ge=0)]
    interval_steps: Annotated[int, pydantic.Field(ge=1)]


@PRUNERS.register("median", config=MedianPrunerConfig)
def median_pruner(n_startup_trials: int, n_warmup_steps: int, interval_steps: int) -> Any:
    """Optuna's MedianPruner: prunes a trial whose objective is worse than the median of
    the other trials' at the same epoch."""
    import optuna

    return optuna.pruners.MedianPruner(
        n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps, interval_steps=interval_steps
    )


class HyperbandPrunerConfig(ComponentConfig):
    """Attributes:
    min_resource: Epochs every trial gets before it can be pruned.
    max_resource: Epochs of a whole trial; None: the epochs of the first trial that finishes.
    reduction_factor: How many trials of each rung one survivor stands for (3: a third go on).
    """

    min_resource: Annotated[int, pydantic.Field(ge=1)]
    max_resource: Annotated[int, pydantic.Field(ge=1)] | None
    reduction_factor: Annotated[int, pydantic.Field(ge=2)]


@PRUNERS.register("hyperband", config=HyperbandPrunerConfig)
def hyperband_pruner(min_resource: int, max_resource: int | None, reduction_factor: int) -> Any:
    """Optuna's HyperbandPruner: successive halving over several budgets at once."""
    import optuna

    return optuna.pruners.HyperbandPruner(
        min_resource=min_resource, max_resource="auto" if max_resource is None else max_resource,
        reduction_factor=reduction_factor,
    )
