"""The composition root: one composed config in, one trained run out.

`run(cfg, run_dir)` is what the CLI calls and what tests call directly.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.checkpoints.run_status import marking_failure
from framework.checkpoints.settings import CheckpointSettings, EarlyStoppingSettings
from framework.config_trust import reject_code_references
from framework.devices import log_variable_placement, select_devices
from framework.errors import ConfigError
from framework.export import ExportSettings, export_saved_model
from framework.plugins import load_plugins
from framework.registry import ALL_REGISTRIES, DATA, DISTRIBUTIONS, LOGGERS, LOSSES, MODELS, OPTIMIZERS, STRATEGIES, Registry
from framework.result import RunResult
from framework.validation import ComponentConfig, validate_fields

log = logging.getLogger("framework")

# Config group -> the registry its `name` key is looked up in. Layers have no
# group of their own: they appear inside model configs.
COMPONENT_GROUPS: dict[str, Registry] = {
    group: registry for group, registry in ALL_REGISTRIES.items() if group != "layer"
}


class RunSettings(ComponentConfig):
    """Attributes:
    seed: Seeds Python, NumPy and TensorFlow; the same seed gives the same run.
    epochs: Passes over the training data.
    plugins: Extra modules to import so their components register (local code
        that is not an installed plugin).
    verbose: Console output: 0 silent, 1 Keras's progress bar, 2 one line per
        epoch in the tutorial's words (W, b and the loss).
    precision: Keras dtype policy: float32, or mixed_bfloat16 / mixed_float16
        (variables in float32, computation in 16 bits).
    run_eagerly: Runs tf.functions eagerly, so breakpoints and prints in
        layers and losses work (slow; `debug=eager` sets it).
    export: Extra exports besides model.keras.
    device: auto trains on a GPU when TensorFlow sees one, else the CPU; cpu
        hides the GPUs; gpu requires one.
    plots: Saves the end-of-run plots (they read the run's events back, which
        for long runs logged every epoch takes longer than training).
    checkpoint: When checkpoints are saved and how many are kept.
    early_stopping: Whether and when to stop before `epochs`.
    resume: The run directory being continued (set by `resume=<run dir>`), or None.
    """

    seed: int
    epochs: Annotated[int, pydantic.Field(ge=1)]
    plugins: list[str]
    verbose: Annotated[int, pydantic.Field(ge=0, le=2)]
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16"]
    run_eagerly: bool
    export: ExportSettings
    device: Literal["auto", "cpu", "gpu"]
    plots: bool
    checkpoint: CheckpointSettings
    early_stopping: EarlyStoppingSettings
    resume: str | None


def run(cfg: DictConfig, run_dir: str | Path) -> RunResult:
    """Validates `cfg`, builds every component, trains, and saves the results.

    Args:
        cfg: The composed config (configs/train.yaml plus overrides).
        run_dir: Directory for TensorBoard events, the model and summary.json.

    Returns:
        The run's final metrics and variables, also written to summary.json.

    Raises:
        ConfigError: The config is invalid; nothing was trained.
        NonFiniteLossError: The loss diverged; the last finite checkpoint is kept.
        TrainingInterrupted: A signal stopped training; a checkpoint was saved.

    A run that raises leaves `run_dir/FAILED` holding the error (except when
    interrupted: that run can be resumed).
    """
    run_dir = Path(run_dir)
    with marking_failure(run_dir):
        return _set_up_and_train(cfg, run_dir)


def _set_up_and_train(cfg: DictConfig, run_dir: Path) -> RunResult:
    """Validates, fixes devices and the distribution, seeds; then trains under the distribution's scope."""
    settings = _validate(cfg)
    distribution = DISTRIBUTIONS.build(_plain(cfg, "distribution"), where="distribution")
    distribution.check_strategy(cfg.strategy.name)
    # Devices and the tf.distribute strategy are fixed first: TensorFlow
    # accepts device settings only before its first op.
    placement = distribution.start(select_devices(settings.device))

    import keras
    import tensorflow as tf

    # A fresh Keras session makes layer names, and so variable paths and
    # TensorBoard tags, the same in every run regardless of earlier runs. It
    # resets TensorFlow's default graph, so it comes before the strategy's scope.
    keras.backend.clear_session()
    keras.utils.set_random_seed(settings.seed)
    keras.mixed_precision.set_global_policy(settings.precision)  # before any layer is built
    tf.config.run_functions_eagerly(settings.run_eagerly)  # so breakpoints stop inside compiled steps
    with placement.scope(), placement.output_dir(run_dir) as output_dir:
        return _train(cfg, settings, output_dir)


def _train(cfg: DictConfig, settings: RunSettings, run_dir: Path) -> RunResult:
    """Builds every component (under the distribution's scope), trains and saves into `run_dir`."""
    data = DATA.build(_plain(cfg, "data"), where="data")
    model = MODELS.build(_plain(cfg, "model"), where="model")
    _build_model_for(model, data)
    log_variable_placement(model)
    loss = LOSSES.build(_plain(cfg, "loss"), where="loss")
    optimizer = OPTIMIZERS.build(_plain(cfg, "optimizer"), where="optimizer")
    strategy = STRATEGIES.build(_plain(cfg, "strategy"), where="strategy")

    from framework.callbacks import EpochReport
    from framework.checkpoints.safeguards import Safeguards
    from framework.reports.run_report import write_run_report
    from framework.strategies import TrainingJob

    run_dir.mkdir(parents=True, exist_ok=True)
    safeguards = Safeguards(settings, run_dir, model, optimizer, data)  # checkpoints, resume, signals
    logger = LOGGERS.build(_plain(cfg, "logger"), where="logger", log_dir=run_dir / "tensorboard")
    console = [EpochReport()] if settings.verbose == 2 else []
    job = TrainingJob(
        model, loss, optimizer, data, settings.epochs, logger, [*console, *safeguards.callbacks],
        verbose=settings.verbose, initial_epoch=safeguards.initial_epoch, stop_requested=safeguards.stop_requested,
    )
    with safeguards.training():
        try:
            history = strategy.train(job)
        finally:
            logger.close()

    _save_model(model, run_dir / "model.keras")
    if settings.export.saved_model:
        export_saved_model(model, run_dir / "saved_model")
    result = RunResult(
        run_dir=str(run_dir),
        strategy=cfg.strategy.name,
        epochs=safeguards.initial_epoch + len(history.epoch),
        global_step=int(optimizer.iterations.numpy()),
        metrics={name: float(values[-1]) for name, values in history.history.items()},
        variables={v.path: v.numpy().tolist() for v in model.trainable_variables},
    )
    result.write(run_dir / "summary.json")
    write_run_report(cfg, result, data, model, plots_wanted=settings.plots)
    return result


def _validate(cfg: DictConfig) -> RunSettings:
    """Checks every part of `cfg`, reporting all problems at once."""
    settings_fields = {name: _plain(cfg, name) for name in RunSettings.model_fields}
    settings = RunSettings(**validate_fields(RunSettings, settings_fields, "", "the run"))
    reject_code_references(cfg)
    load_plugins(settings.plugins)
    problems = []
    for group, registry in COMPONENT_GROUPS.items():
        try:
            registry.resolve(_plain(cfg, group), where=group)
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def _plain(cfg: DictConfig, key: str) -> Any:
    """The config value at `key` as plain Python, interpolations resolved."""
    if key not in cfg:
        raise ConfigError(f"{key} is missing from the config; add it to configs/train.yaml or pass +{key}=...")
    try:
        value = cfg[key]
        return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    except OmegaConfBaseException as error:
        raise ConfigError(f"{key}: could not resolve the config: {error}") from None


def _build_model_for(model, data) -> None:
    """Builds the model on one example and checks its output fits the targets."""
    sample, _ = data.sample(1)
    try:
        output = model(sample)
    except (ValueError, TypeError) as error:
        raise ConfigError(
            f"model: the model cannot take the data's inputs of shape {tuple(sample.shape)} "
            f"(data '{type(data).__name__}'): {error}"
        ) from error
    if tuple(output.shape[1:]) != tuple(data.target_shape):
        raise ConfigError(
            f"model: the model outputs shape {tuple(output.shape[1:])} per example but the "
            f"data's targets have shape {tuple(data.target_shape)}. Make the last layer output "
            f"{data.target_shape[-1]} unit(s), e.g. end model.layers with "
            f"{{name: dense, units: {data.target_shape[-1]}}}."
        )


def _save_model(model, path: Path) -> None:
    # Keras insists on the .keras suffix, so the temporary file keeps it; the
    # rename makes the final file appear whole or not at all.
    temporary = path.with_name(f".partial-{path.name}")
    model.save(temporary)
    os.replace(temporary, path)
