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

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from framework.config.compose import compose
from framework.errors import ResumeError
from framework.run_directory import RunDirectory

# Top-level keys a resume may change: when and how to train, log and save,
# not the model, data, loss, optimizer or seed.
RESUMABLE_KEYS = ("epochs", "verbose", "resume", "logger", "checkpoint", "early_stopping", "strategy")

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
    changes = _experiment_changes(saved_config, OmegaConf.to_container(composed, resolve=False))
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
    return OmegaConf.to_container(OmegaConf.load(config_file)), list(OmegaConf.load(overrides_file))


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


def _experiment_changes(saved: dict[str, Any], composed: dict[str, Any]) -> list[str]:
    before, after = dict(_flatten(saved, "")), dict(_flatten(composed, ""))
    lines = []
    for key in sorted(set(before) | set(after)):
        if key.split(".")[0].split("[")[0] in RESUMABLE_KEYS or before.get(key) == after.get(key):
            continue
        old = repr(before[key]) if key in before else "(absent)"
        new = repr(after[key]) if key in after else "(absent)"
        lines.append(f"  {key}: {old} -> {new}")
    return lines


def _flatten(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _flatten(value, f"{prefix}[{index}]")
    else:
        yield prefix, node
