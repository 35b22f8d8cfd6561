"""`python -m framework.train resume=<run dir> [overrides]`: continue a run in place.

The run's saved overrides (`<run dir>/.hydra/overrides.yaml`) are replayed,
followed by the new ones, with `hydra.run.dir` set to the run directory, so
Hydra composes the run's config again and the run writes where it left off.
Before Hydra starts, the composed config is compared with the one the run
was trained with (`.hydra/config.yaml`): overrides may change how the run
continues (the keys in RESUMABLE_KEYS), never what it trains; anything else,
including config files changed since, is refused with a diff.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.config.compose import compose
from framework.config.fingerprint import RESUMABLE_KEYS, experiment_changes
from framework.errors import ResumeError
from framework.run_directory import RunDirectory

_MULTIRUN_FLAGS = ("-m", "--multirun")


def resume_arguments(arguments: Sequence[str]) -> list[str]:
    """The command-line arguments that continue the run named by `resume=<dir>` (unchanged without one).

    Raises:
        ResumeError: No such run, a multirun, or overrides that change the experiment.
    """
    resume = [argument for argument in arguments if argument.startswith("resume=")]
    if not resume:
        return list(arguments)
    value = resume[-1].partition("=")[2]
    if any(flag in arguments for flag in _MULTIRUN_FLAGS):
        raise ResumeError(f"resume={value}: a run is resumed on its own; drop -m/--multirun.")
    run_dir = Path(value).expanduser().resolve()
    saved_config, saved_overrides = _saved_run(value, run_dir)
    flags = [argument for argument in arguments if argument.startswith("-")]
    new = [argument for argument in arguments if not argument.startswith("-") and not argument.startswith("resume=")]
    task_overrides = [*_without_keys(saved_overrides, _override_keys(new)), *new]
    composed = compose([*_task_only(task_overrides), f"resume={run_dir}"])
    changes = experiment_changes(saved_config, OmegaConf.to_container(composed, resolve=False))
    if changes:
        raise ResumeError(
            f"resume={value}: these changes would alter the experiment the run was trained "
            f"as, so it cannot be continued:\n" + "\n".join(changes) + "\n"
            f"A resume may change only: {', '.join(RESUMABLE_KEYS)}. To train a different "
            f"experiment, start a new run."
        )
    return [*flags, *task_overrides, f"resume={run_dir}", f"hydra.run.dir={run_dir}"]


def _saved_run(value: str, run_dir: Path) -> tuple[dict[str, Any], list[str]]:
    config_file, overrides_file = RunDirectory(run_dir).saved_config, RunDirectory(run_dir).saved_overrides
    if not run_dir.is_dir():
        raise ResumeError(
            f"resume={value}: there is no directory {run_dir}. Pass the directory of an earlier "
            f"run, e.g. resume=outputs/<date>/<time>."
        )
    if not (config_file.is_file() and overrides_file.is_file()):
        raise ResumeError(
            f"resume={value}: {run_dir} is not a run directory: it lacks {config_file.relative_to(run_dir)} and "
            f"{overrides_file.relative_to(run_dir)}, which every run writes. Pass the directory a run wrote into."
        )
    try:
        config, overrides = OmegaConf.load(config_file), OmegaConf.load(overrides_file)
    except (OSError, yaml.YAMLError, OmegaConfBaseException) as error:
        raise ResumeError(_damaged(value, run_dir, f"it cannot be read: {error}")) from None
    if not isinstance(config, DictConfig) or not isinstance(overrides, ListConfig):
        raise ResumeError(_damaged(value, run_dir, "config.yaml must hold a mapping and overrides.yaml a list"))
    if not all(isinstance(override, str) for override in overrides):
        raise ResumeError(_damaged(value, run_dir, "overrides.yaml must list key=value strings"))
    try:
        return OmegaConf.to_container(config), list(overrides)
    except OmegaConfBaseException as error:
        raise ResumeError(_damaged(value, run_dir, str(error))) from None


def _damaged(value: str, run_dir: Path, problem: str) -> str:
    return (
        f"resume={value}: the saved config of the run ({RunDirectory(run_dir).saved_config.parent}) is damaged: "
        f"{problem}. It is Hydra's record of the run; restore it from a backup, or start a new run."
    )


def _override_keys(overrides: Sequence[str]) -> set[str]:
    return {override.key_or_group for override in OverridesParser.create().parse_overrides(list(overrides))}


def _without_keys(overrides: Sequence[str], keys: set[str]) -> list[str]:
    """`overrides` minus those setting one of `keys` (or resume), which are replaced."""
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    return [
        override.input_line
        for override in parsed
        if override.key_or_group not in keys and override.key_or_group != "resume"
    ]


def _task_only(overrides: Sequence[str]) -> list[str]:
    # Hydra's own settings do not belong to the experiment and compose() does not take them.
    return [override for override in overrides if not override.lstrip("+~").startswith("hydra")]
