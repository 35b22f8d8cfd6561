"""Configs are data: they name registry keys, never Python objects.

The framework never calls `hydra.utils.instantiate`; every component is built
from a registry key, and `plugins=[...]` is the one place a module is
imported. A `_target_` key (Hydra's way of naming a callable) therefore has no
meaning here; it is refused rather than silently ignored, so nobody believes
a config ran code it did not. Saved models load with Keras safe mode
(framework.saving), so a model file cannot run code either.

Hydra itself instantiates what its own `hydra:` section names (callbacks,
sweeper, launcher, logging handlers). There only the framework's callbacks
and the documented sweeper and launcher presets may be named
(`HYDRA_TARGETS`, Optuna's samplers), and logging handlers only from Python's
`logging` package; the CLI checks this before Hydra instantiates anything
(framework.config.preflight), whichever file or override set it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, OmegaConf

from framework.errors import ConfigError

_CODE_KEYS = ("_target_", "_partial_", "_args_")

# What the `hydra:` section may instantiate: the framework's own callbacks and
# the sweepers and launchers of the documented presets (configs/sweep, configs/cluster).
HYDRA_TARGETS = frozenset({
    "framework.reports.multirun_failures.FailedJobsReport",
    "framework.reports.job_summary.JobSummary",
    "hydra._internal.core_plugins.basic_launcher.BasicLauncher",
    "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
    "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
    "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper",
    "hydra_plugins.framework_sweeper.optuna_study_sweeper.OptunaStudySweeper",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher",
})
_SAMPLERS_MODULE = "optuna.samplers."  # the Optuna sweeper's samplers: search algorithms, no side effects
_LOGGING_SECTIONS = ("job_logging", "hydra_logging")


def reject_code_references(cfg: DictConfig) -> None:
    """Raises ConfigError naming every `_target_`-style key in `cfg` (Hydra's own section aside)."""
    plain = OmegaConf.to_container(cfg, resolve=False)
    plain.pop("hydra", None)
    found = [path for path in _key_paths(plain, "") if path.rpartition(".")[2] in _CODE_KEYS]
    if found:
        raise ConfigError(
            f"{', '.join(found)}: configs name components by registry key, never by Python path "
            f"or _target_, so a config cannot run code. Remove the key and select the component "
            f"with name: <registry key>; to use your own code, register it and list its module "
            f"in plugins=[...]."
        )


def _key_paths(node: Any, prefix: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from _key_paths(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _key_paths(value, f"{prefix}[{index}]")


def reject_untrusted_hydra_targets(hydra: DictConfig) -> None:
    """Raises ConfigError naming every callable the `hydra:` section names beyond what it may instantiate."""
    plain = OmegaConf.to_container(hydra, resolve=False)
    found = []
    for path, value in _key_values(plain, "hydra"):
        key = path.rpartition(".")[2]
        section = path.split(".")[1] if "." in path else ""
        if key == "_target_" and not (value in HYDRA_TARGETS or str(value).startswith(_SAMPLERS_MODULE)):
            found.append(f"{path}={value}")
        elif key in ("_partial_", "_args_", "()"):
            found.append(f"{path}={value}")
        elif key == "class" and section in _LOGGING_SECTIONS and not str(value).startswith("logging."):
            found.append(f"{path}={value}")
    if found:
        raise ConfigError(
            f"{', '.join(found)}: the hydra section may name only the framework's callbacks, the "
            f"sweepers and launchers of the documented presets (sweep=optuna, sweep=parallel, "
            f"+cluster=slurm) and logging handlers from Python's logging package, so that no config "
            f"file, override or saved run can run code. Remove it, or choose a preset."
        )


def _key_values(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if not isinstance(value, (dict, list)):
                yield path, value
            yield from _key_values(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _key_values(value, f"{prefix}[{index}]")
