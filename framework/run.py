"""The composition root: one composed config in, one trained run out.

`run(cfg, run_dir)` is what the CLI calls and what tests call directly.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import pydantic
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.checkpoints.run_status import marking_failure
from framework.checkpoints.settings import CheckpointSettings, EarlyStoppingSettings
from framework.config_trust import reject_code_references
from framework.errors import ConfigError
from framework.plugins import load_plugins
from framework.registry import ALL_REGISTRIES, DATA, LOGGERS, LOSSES, MODELS, OPTIMIZERS, STRATEGIES, Registry
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
    checkpoint: When checkpoints are saved and how many are kept.
    early_stopping: Whether and when to stop before `epochs`.
    resume: The run directory being continued (set by `resume=<run dir>`), or None.
    """

    seed: int
    epochs: Annotated[int, pydantic.Field(ge=1)]
    plugins: list[str]
    verbose: Annotated[int, pydantic.Field(ge=0, le=2)]
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
        return _train(cfg, run_dir)


def _train(cfg: DictConfig, run_dir: Path) -> RunResult:
    settings = _validate(cfg)

    import keras  # deferred: validation above needs no TensorFlow

    # A fresh Keras session makes layer names, and so variable paths and
    # TensorBoard tags, the same in every run regardless of earlier runs.
    keras.backend.clear_session()
    keras.utils.set_random_seed(settings.seed)
    data = DATA.build(_plain(cfg, "data"), where="data")
    model = MODELS.build(_plain(cfg, "model"), where="model")
    _build_model_for(model, data)
    loss = LOSSES.build(_plain(cfg, "loss"), where="loss")
    optimizer = OPTIMIZERS.build(_plain(cfg, "optimizer"), where="optimizer")
    strategy = STRATEGIES.build(_plain(cfg, "strategy"), where="strategy")

    from framework.callbacks import EpochReport
    from framework.checkpoints.safeguards import Safeguards
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
    result = RunResult(
        run_dir=str(run_dir),
        strategy=cfg.strategy.name,
        epochs=safeguards.initial_epoch + len(history.epoch),
        global_step=int(optimizer.iterations.numpy()),
        metrics={name: float(values[-1]) for name, values in history.history.items()},
        variables={v.path: v.numpy().tolist() for v in model.trainable_variables},
    )
    result.write(run_dir / "summary.json")
    log.info("Run finished: %s", ", ".join(f"{k}={v:.5f}" for k, v in result.metrics.items()))
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
