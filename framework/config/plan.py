"""A composed config, checked once and turned into what a run builds.

`plan_run(cfg)` reads the config once: the top-level settings, then each
config group's registry key and arguments, and every rule that involves two
components. All problems of one kind are reported together, before any
TensorFlow work. The few rules that need facts only a started run knows (how
many replicas the devices give, how much validation data a source holds) are
in `check_started_run`, also here, so every cross-component rule has one home.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.config.callback_specs import resolve_callbacks
from framework.config.logger_selection import LoggerSelection, resolve_loggers
from framework.config.loss_targets import (
    check_loss_fits_targets,
    reads_labels_as_classes,
)
from framework.config.paths import resolve_path
from framework.config.pruning_selection import PruningSelection, resolve_pruning
from framework.config.settings import RunSettings
from framework.config.trained_run import check_finished_run
from framework.config.trust import reject_code_references
from framework.config.validation_sets import (
    check_sets_split_evenly,
    check_validation_sets,
    resolve_validation_sets,
    validation_set_values,
)
from framework.errors import ConfigError, raise_together
from framework.plugins import load_plugins
from framework.registry import (
    DATA,
    DISTRIBUTIONS,
    LOSSES,
    METRICS,
    MODELS,
    OPTIMIZERS,
    STRATEGIES,
    Registry,
    Resolved,
)
from framework.registry.did_you_mean import closest
from framework.registry.schema import validate_fields

# Config group -> the registry its `name` key is looked up in, in build order.
# The logger group selects several components at once (logger_selection.py).
GROUPS: dict[str, Registry] = {
    "distribution": DISTRIBUTIONS,
    "data": DATA,
    "model": MODELS,
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "strategy": STRATEGIES,
}


@dataclass(frozen=True)
class RunPlan:
    """A validated run: its settings and each component, resolved but not built.

    Attributes:
        settings: The top-level settings (seed, epochs, checkpoint...).
        components: Config group -> its resolved component; "logger" -> the
            resolved LoggerSelection, "pruning" -> the PruningSelection.
        metrics: The `metrics` list, each entry resolved; a metric's key is its name in the logs.
        callbacks: The `callbacks` list, each entry resolved.
        validation_sets: Each extra validation set's data config, resolved, by name.
        config: The whole config as plain Python, interpolations resolved
            (recorded as HParams and read by the reports).
    """

    settings: RunSettings
    components: Mapping[str, Resolved | LoggerSelection | PruningSelection]
    metrics: tuple[Resolved, ...]
    config: Mapping[str, Any]
    callbacks: tuple[Resolved, ...] = ()
    validation_sets: Mapping[str, Resolved] = dataclasses.field(default_factory=dict)

    def build(self, group: str, **runtime: Any) -> Any:
        """Builds the component of `group`; `runtime` holds arguments from the run (a logger's run directory)."""
        return self.components[group].build(**runtime)


def plan_run(cfg: DictConfig) -> RunPlan:
    """Validates every part of `cfg` and loads the plugins it names.

    Raises:
        ConfigError: Something is invalid; the message names every problem found.
        PluginError: A module in `plugins=[...]` failed to import.
    """
    settings = run_settings(cfg)
    reject_code_references(cfg)
    load_plugins(settings.plugins)
    components, metrics, callbacks, problems = {}, [], [], []
    for group, registry in GROUPS.items():
        try:
            components[group] = registry.resolve(_plain(cfg, group), where=group)
        except ConfigError as error:
            problems.append(error)
    for group, resolve in (("logger", resolve_loggers), ("pruning", resolve_pruning)):
        try:
            components[group] = resolve(_plain(cfg, group))
        except ConfigError as error:
            problems.append(error)
    try:
        callbacks = resolve_callbacks(settings.callbacks)
    except ConfigError as error:
        problems.append(error)
    for index, spec in enumerate(settings.metrics):
        try:
            metrics.append(METRICS.resolve({"name": spec} if isinstance(spec, str) else spec, where=f"metrics[{index}]"))
        except ConfigError as error:
            problems.append(error)
    raise_together(problems)
    components["data"] = _labels_read_for(components["data"], components["loss"])
    validation_sets = resolve_validation_sets(settings.validation_sets, components["data"])
    _check_metric_names_are_unique(metrics)
    _check_monitored_values_are_logged(settings, [metric.key for metric in metrics], list(validation_sets))
    _check_strategy_runs_under_distribution(components["strategy"], components["distribution"], metrics)
    _check_backend_supports(settings, components["distribution"], components["data"])
    if settings.lr_on_plateau.enabled:
        _check_learning_rate_is_assignable(components["optimizer"])
    _check_best_weights_are_not_averaged(settings, components["optimizer"])
    if settings.init_from is not None and settings.resume is None:  # a resumed run has its own weights
        check_finished_run(resolve_path(settings.init_from), "init_from")
    config = {key: _plain(cfg, key) for key in cfg}
    return RunPlan(settings, components, tuple(metrics), config, tuple(callbacks), validation_sets)


def run_settings(cfg: DictConfig) -> RunSettings:
    """The validated top-level settings; a top-level key nothing reads is an error too.

    Raises:
        ConfigError: A setting is invalid, or a top-level key is unknown.
    """
    _check_top_level_keys(cfg)
    return RunSettings(**validate_fields(RunSettings, {name: _plain(cfg, name) for name in RunSettings.model_fields}, "", "the run"))


def _check_top_level_keys(cfg: DictConfig) -> None:
    """A top-level key is a setting, a config group or `hydra`, or a value the config
    interpolates (`${paths.data}`); any other (`+epoch=5`) would silently change nothing."""
    groups = [*GROUPS, "logger", "pruning"]  # the registry's groups, and the two resolved by the plan itself
    known = [*RunSettings.model_fields, *groups]
    text = str(OmegaConf.to_container(cfg, resolve=False))
    for key in cfg:
        if key in known or key == "hydra" or re.search(r"\$\{\s*" + re.escape(str(key)) + r"\b", text):
            continue
        close = closest(str(key), known)
        raise ConfigError(
            f"{key}: there is no top-level setting '{key}', so it would change nothing.{f' Did you mean {close}?' if close else ''} "
            f"The top-level settings: {', '.join(RunSettings.model_fields)}; the config groups: {', '.join(groups)}."
        )


def logged_values(metric_names: list[str], validation: bool = True, validation_sets: Sequence[str] = ()) -> list[str]:
    """The epoch logs of a run computing `metric_names`, in the order Keras's fit logs them,
    then the values of the extra `validation_sets`."""
    train = ["loss", *sorted(metric_names)]  # fit returns its compiled metrics sorted by name
    return [*train, *([f"val_{name}" for name in train] if validation else []), *validation_set_values(train, validation_sets)]


def monitored_values(settings: RunSettings) -> dict[str, str]:
    """{config key: the logged value it names} for every key that watches an epoch log."""
    watched = {
        "objective.metric": settings.objective.metric,
        "early_stopping.monitor": settings.early_stopping.monitor if settings.early_stopping.enabled else None,
        "checkpoint.best.monitor": settings.checkpoint.best.monitor,
        "lr_on_plateau.monitor": settings.lr_on_plateau.monitor if settings.lr_on_plateau.enabled else None,
    }
    return {key: name for key, name in watched.items() if name is not None}


def check_started_run(plan: RunPlan, data: Any, replicas: int, validation_sets: Mapping[str, Any] | None = None) -> None:
    """The rules that need the built data source (and extra validation sets) and the number of replicas.

    Raises:
        ConfigError: A rule is broken; nothing was trained.
    """
    check_loss_fits_targets(plan.components["loss"].key, data)
    distribution = plan.components["distribution"]
    if distribution.entry.factory.splits_batches_evenly_only and replicas > 1:
        _check_batches_split_evenly(distribution.key, data, replicas)
        check_sets_split_evenly(validation_sets or {}, distribution.key, replicas)
    strategy = plan.components["strategy"]
    if strategy.entry.factory.needs_even_replica_batches and data.batch_size % replicas:
        raise ConfigError(
            f"strategy={strategy.key}: Keras's model.fit needs the batch to split evenly across the "
            f"{replicas} replicas, but a batch holds {data.batch_size} examples "
            f"(data.batch_size, at most the training examples). Use a data.batch_size divisible "
            f"by {replicas}, or strategy=tape, which splits any batch."
        )
    check_validation_sets(validation_sets or {}, data)
    _check_steps_fall_inside_epochs("checkpoint", plan.settings.checkpoint.every_n_steps, data)
    _check_steps_fall_inside_epochs("validation", plan.settings.validation.every_n_steps, data)
    if data.validation_steps:
        return
    if plan.settings.validation.every_n_steps:
        raise ConfigError(
            f"validation.every_n_steps={plan.settings.validation.every_n_steps} validates inside epochs, but the data "
            f"holds no validation examples. Set data.val_fraction above 0 (e.g. data.val_fraction=0.2), or "
            f"validation.every_n_steps=0."
        )
    of_sets = set(validation_set_values(logged_values([metric.key for metric in plan.metrics], False), list(plan.validation_sets)))
    for key, name in monitored_values(plan.settings).items():
        if name.startswith("val_") and name not in of_sets:
            raise ConfigError(
                f"{key}={name}, but the data holds no validation examples. "
                f"Set data.val_fraction above 0 (e.g. data.val_fraction=0.2) or use the "
                f"training value: {key}={name.removeprefix('val_')}."
            )


def _check_steps_fall_inside_epochs(section: str, every_n_steps: int, data: Any) -> None:
    """<section>.every_n_steps acts inside epochs: an interval of whole epochs never would."""
    steps = data.steps_per_epoch
    if not every_n_steps or every_n_steps % steps:
        return
    instead = f"checkpoint.every_n_epochs={every_n_steps // steps}, or " if section == "checkpoint" else ""
    raise ConfigError(
        f"{section}.every_n_steps={every_n_steps} acts inside epochs, but an epoch here has "
        f"{steps} step(s) ({data.num_train_examples} training examples in batches of {data.batch_size}), so each step "
        f"it names (every multiple of {every_n_steps}) ends an epoch, where the epoch's own {section} is. Use "
        f"{instead}a {section}.every_n_steps that is not a multiple of {steps} (with smaller batches, "
        f"data.batch_size, epochs have more steps)."
    )


def _check_batches_split_evenly(distribution: str, data: Any, devices: int) -> None:
    """Every batch of every part (the last, smaller one too) splits evenly over the devices."""
    sizes = {"training": data.num_train_examples, "validation": data.num_validation_examples, "test": data.num_test_examples}
    uneven = [f"a batch holds {data.batch_size} examples (data.batch_size)"] if data.batch_size % devices else []
    for part, count in sizes.items():
        last = count % data.batch_size
        if last % devices:
            uneven.append(f"the last {part} batch holds {last} examples ({count} {part} examples in batches of {data.batch_size})")
    if uneven:
        raise ConfigError(
            f"distribution={distribution} splits every batch evenly over its {devices} devices, but {'; '.join(uneven)}. "
            f"Use a data.batch_size divisible by {devices} that leaves each part a last batch divisible by {devices} "
            f"too (or none), by choosing data.batch_size or the number of examples; or train on fewer devices."
        )


def _labels_read_for(data: Resolved, loss: Resolved) -> Resolved:
    """With a loss that takes class ids, numeric labels in a file (0/1/2) are class ids, not
    numbers to regress: a file source's target_type=auto becomes classification."""
    if reads_labels_as_classes(loss.key) and data.kwargs.get("target_type") == "auto":
        return dataclasses.replace(data, kwargs={**data.kwargs, "target_type": "classification"})
    return data


def _check_metric_names_are_unique(metrics: list[Resolved]) -> None:
    keys = [metric.key for metric in metrics]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ConfigError(
            f"metrics: {', '.join(repeated)} appears more than once, but a metric is logged under its key, "
            f"so each key can be listed once. Keep one entry per key in metrics=[...]."
        )


def _check_monitored_values_are_logged(settings: RunSettings, metric_names: list[str], validation_sets: list[str]) -> None:
    logged = logged_values(metric_names, validation_sets=validation_sets)
    repeated = sorted({name for name in logged if logged.count(name) > 1})
    if repeated:
        raise ConfigError(
            f"validation_sets: {', '.join(repeated)} would be logged twice (a set's values are val_<set>_<value>). "
            f"Rename the validation set(s) {', '.join(validation_sets)} so their values differ from the run's others."
        )
    losses = [name for name in logged if name == "loss" or (name.startswith("val_") and name.endswith("_loss"))]
    if settings.lr_on_plateau.enabled and settings.lr_on_plateau.monitor not in losses:
        raise ConfigError(
            f"lr_on_plateau.monitor={settings.lr_on_plateau.monitor}: the learning rate is lowered when a loss stops "
            f"decreasing, so it watches a loss. The run's losses: {', '.join(losses)}."
        )
    for key, name in monitored_values(settings).items():
        if name not in logged:
            close = difflib.get_close_matches(name, logged, n=1, cutoff=0.6)
            hint = f" Did you mean {key}={close[0]}?" if close else ""
            sets = ", ".join(validation_sets) if validation_sets else "none"
            of_a_set = any(name.startswith("val_") and name.endswith(f"_{value}") for value in ["loss", *metric_names])
            fix = (f"To watch a validation set, name one of validation_sets in val_<set>_<value>, or add the set to validation_sets."
                   if of_a_set else f"To watch a metric, also list it in metrics, e.g. metrics=[{name.removeprefix('val_')}].")
            raise ConfigError(
                f"{key}={name} is not a value the run logs. It logs: {', '.join(logged)} "
                f"(the val_ values need data.val_fraction > 0; a validation set's are val_<set>_<value>, "
                f"and the run's validation_sets are: {sets}).{hint} {fix}"
            )


def _check_strategy_runs_under_distribution(strategy: Resolved, distribution: Resolved, metrics: list[Resolved]) -> None:
    reason = distribution.entry.factory.unsupported_strategies.get(strategy.key)
    if reason is not None:
        raise ConfigError(f"strategy={strategy.key} cannot run with distribution={distribution.key}: {reason}")
    replicated = distribution.entry.factory.replicated
    if replicated and metrics and not strategy.entry.factory.computes_metrics_across_replicas:
        raise ConfigError(
            f"metrics: the {strategy.key} strategy does not compute metrics under a tf.distribute "
            f"strategy (distribution={distribution.key}) yet. Use strategy=fit, which does, "
            f"distribution=none, or drop the metrics (metrics=[])."
        )
    if replicated and strategy.kwargs.get("jit_compile") and not strategy.entry.factory.compiles_xla_across_replicas:
        raise ConfigError(
            f"strategy.jit_compile=true: the {strategy.key} strategy cannot compile its step with XLA "
            f"under a tf.distribute strategy (distribution={distribution.key}): XLA cannot compile the "
            f"cross-replica optimizer update. Set strategy.jit_compile=false, or use distribution=none."
        )


def _check_backend_supports(settings: RunSettings, distribution: Resolved, data: Resolved) -> None:
    """What one backend alone does: tf.distribute and the SavedModel export (TensorFlow), keras.distribution (JAX)."""
    backends = distribution.entry.factory.backends
    if settings.backend not in backends:
        engine = "TensorFlow's tf.distribute" if backends == ("tensorflow",) else "keras.distribution on JAX"
        alternative = {
            "tensorflow": "distribution=mirrored (one machine) or distribution=multi_worker strategy=tape (several)",
            "jax": "distribution=data_parallel (one machine or several)",
        }[settings.backend]
        raise ConfigError(
            f"distribution={distribution.key} runs on backend={' or '.join(backends)} ({engine}), "
            f"not backend={settings.backend}. Use distribution=none or {alternative}, or backend={backends[0]}."
        )
    if settings.backend == "tensorflow":
        return
    if settings.export.saved_model:
        raise ConfigError(
            f"export.saved_model=true writes a TensorFlow SavedModel, which needs TensorFlow; backend={settings.backend} "
            f"runs without it. Serve the run's model.keras, or train with backend=tensorflow to export one."
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


def _check_best_weights_are_not_averaged(settings: RunSettings, optimizer: Resolved) -> None:
    # The moving average replaces the model's weights once training ends, which would undo the restore.
    if settings.early_stopping.enabled and settings.early_stopping.restore_best_weights and optimizer.kwargs.get("use_ema"):
        raise ConfigError(
            "early_stopping.restore_best_weights=true cannot be used with optimizer.use_ema=true: the weights' "
            "moving average replaces the model's weights when training ends, so the best epoch's would be lost. "
            "Use one of them (optimizer.use_ema=false, or early_stopping.restore_best_weights=false)."
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
