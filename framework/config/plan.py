"""A composed config, checked once and turned into what a run builds.

`plan_run(cfg)` reads the config once: the top-level settings, then each
config group's registry key and arguments, and every rule that involves two
components. All problems of one kind are reported together, before any
TensorFlow work. The few rules that need facts only a started run knows (how
many replicas the devices give, how much validation data a source holds) are
in `check_started_run`, also here, so every cross-component rule has one home.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.config.schema import validate_fields
from framework.config.settings import RunSettings
from framework.config.trust import reject_code_references
from framework.errors import ConfigError
from framework.plugins import load_plugins
from framework.registry import (
    DATA,
    DISTRIBUTIONS,
    LOGGERS,
    LOSSES,
    MODELS,
    OPTIMIZERS,
    STRATEGIES,
    Registry,
    Resolved,
)

# Config group -> the registry its `name` key is looked up in, in build order.
GROUPS: dict[str, Registry] = {
    "distribution": DISTRIBUTIONS,
    "data": DATA,
    "model": MODELS,
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "strategy": STRATEGIES,
    "logger": LOGGERS,
}


@dataclass(frozen=True)
class RunPlan:
    """A validated run: its settings and each component, resolved but not built.

    Attributes:
        settings: The top-level settings (seed, epochs, checkpoint...).
        components: Config group -> its resolved component.
        config: The whole config as plain Python, interpolations resolved
            (recorded as HParams and read by the reports).
    """

    settings: RunSettings
    components: Mapping[str, Resolved]
    config: Mapping[str, Any]

    def build(self, group: str, **runtime: Any) -> Any:
        """Builds the component of `group`; `runtime` holds arguments from the run (a logger's run directory)."""
        return self.components[group].build(**runtime)


def plan_run(cfg: DictConfig) -> RunPlan:
    """Validates every part of `cfg` and loads the plugins it names.

    Raises:
        ConfigError: Something is invalid; the message names every problem found.
        PluginError: A module in `plugins=[...]` failed to import.
    """
    settings = RunSettings(**validate_fields(RunSettings, {name: _plain(cfg, name) for name in RunSettings.model_fields}, "", "the run"))
    reject_code_references(cfg)
    load_plugins(settings.plugins)
    components, problems = {}, []
    for group, registry in GROUPS.items():
        try:
            components[group] = registry.resolve(_plain(cfg, group), where=group)
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError("\n".join(problems))
    _check_strategy_runs_under_distribution(components["strategy"], components["distribution"])
    if settings.lr_on_plateau.enabled:
        _check_learning_rate_is_assignable(components["optimizer"])
    config = {key: _plain(cfg, key) for key in cfg}
    return RunPlan(settings, components, config)


def check_started_run(plan: RunPlan, data: Any, replicas: int) -> None:
    """The rules that need the built data source and the number of replicas.

    Raises:
        ConfigError: A rule is broken; nothing was trained.
    """
    strategy = plan.components["strategy"]
    if strategy.entry.factory.needs_even_replica_batches and data.batch_size % replicas:
        raise ConfigError(
            f"strategy={strategy.key}: Keras's model.fit needs the batch to split evenly across the "
            f"{replicas} replicas, but a batch holds {data.batch_size} examples "
            f"(data.batch_size, at most the training examples). Use a data.batch_size divisible "
            f"by {replicas}, or strategy=tape, which splits any batch."
        )
    settings = plan.settings
    for section, watch in (("early_stopping", settings.early_stopping), ("lr_on_plateau", settings.lr_on_plateau)):
        if watch.enabled and watch.monitor == "val_loss" and not data.validation_steps:
            raise ConfigError(
                f"{section}.monitor=val_loss, but the data holds no validation examples. "
                f"Set data.val_fraction above 0 (e.g. data.val_fraction=0.2) or monitor the "
                f"training loss: {section}.monitor=loss."
            )


def _check_strategy_runs_under_distribution(strategy: Resolved, distribution: Resolved) -> None:
    reason = distribution.entry.factory.unsupported_strategies.get(strategy.key)
    if reason is not None:
        raise ConfigError(f"strategy={strategy.key} cannot run with distribution={distribution.key}: {reason}")
    replicated = distribution.entry.factory.replicated
    if replicated and strategy.kwargs.get("jit_compile") and not strategy.entry.factory.compiles_xla_across_replicas:
        raise ConfigError(
            f"strategy.jit_compile=true: the {strategy.key} strategy cannot compile its step with XLA "
            f"under a tf.distribute strategy (distribution={distribution.key}): XLA cannot compile the "
            f"cross-replica optimizer update. Set strategy.jit_compile=false, or use distribution=none."
        )


def _check_learning_rate_is_assignable(optimizer: Resolved) -> None:
    # ReduceLROnPlateau assigns the optimizer's learning rate; Keras refuses that
    # when the rate is a schedule, and only `constant` without warmup is none.
    schedule = optimizer.kwargs["schedule"]
    if schedule.key != "constant" or schedule.kwargs["warmup_steps"]:
        setting = f"optimizer/schedule={schedule.key}" + (
            f" with optimizer.schedule.warmup_steps={schedule.kwargs['warmup_steps']}" if schedule.kwargs["warmup_steps"] else ""
        )
        raise ConfigError(
            f"lr_on_plateau.enabled=true cannot change a scheduled learning rate ({setting}): the "
            f"schedule owns the rate. Use either lr_on_plateau.enabled=true with "
            f"optimizer/schedule=constant and optimizer.schedule.warmup_steps=0, or the schedule "
            f"with lr_on_plateau.enabled=false."
        )


def _plain(cfg: DictConfig, key: str) -> Any:
    """The config value at `key` as plain Python, interpolations resolved."""
    if key not in cfg:
        raise ConfigError(f"{key} is missing from the config; add it to configs/train.yaml or pass +{key}=...")
    try:
        value = cfg[key]
        return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    except OmegaConfBaseException as error:
        raise ConfigError(f"{key}: could not resolve the config: {error}") from None
