"""Checks what the command line will run before Hydra instantiates anything.

Hydra instantiates the callbacks, sweeper and launcher its `hydra:` section
names as soon as it has composed the config, before the framework's code
runs. So the CLI first composes exactly what Hydra will (the same search path,
`--config-dir`, `--config-path`, `--config-name`, experiments, plugin configs
and a resumed run's replayed overrides) and applies the no-callables rule to
all of it (framework.config.trust). Errors in the config files themselves
(bad YAML, a missing `--config-dir`) become one clear error here too.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_automatic_config_search_path, get_args_parser
from hydra.core.config_search_path import SearchPathQuery
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.config.compose import CONFIG_MODULE, PRIMARY_CONFIG
from framework.config.plan import run_settings
from framework.config.pruning_selection import STUDY_SWEEPER, check_pruning_has_a_trial
from framework.config.trust import (
    reject_code_references,
    reject_untrusted_hydra_targets,
)
from framework.errors import ConfigError


def check_command_line(arguments: Sequence[str]) -> None:
    """Composes what `python -m framework.train ARGUMENTS` runs and refuses code in it.

    Raises:
        ConfigError: A `_target_` outside what Hydra may instantiate, a
            missing --config-dir, or a config file that is not valid YAML.
    """
    args = get_args_parser().parse_args(list(arguments))
    if args.shell_completion:
        _check_shell_completion(args.overrides)
    if args.help or args.hydra_help or args.cfg or args.info or args.shell_completion:
        return  # nothing gets instantiated, and these answer without the extra composition
    search_path = create_automatic_config_search_path(None, None, args.config_path or f"pkg://{CONFIG_MODULE}")
    if args.config_dir is not None:
        config_dir = os.path.abspath(args.config_dir)
        if not os.path.isdir(config_dir):
            raise ConfigError(
                f"--config-dir {args.config_dir}: there is no directory {config_dir}. Pass a directory "
                f"holding config groups (e.g. model/<option>.yaml), or drop --config-dir."
            )
        search_path.prepend(provider="command-line", path=f"file://{config_dir}", anchor=SearchPathQuery(provider="schema"))
    run_mode = RunMode.MULTIRUN if args.multirun else RunMode.RUN
    try:
        hydra = Hydra.create_main_hydra2(task_name="train", config_search_path=search_path)
        cfg = hydra.compose_config(args.config_name or PRIMARY_CONFIG, args.overrides, run_mode=run_mode)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise
        # Hydra looks an option up as a file: an over-long option name fails in the filesystem.
        group, _, option = Path(error.filename or "?").with_suffix("").as_posix().rpartition("/")
        raise ConfigError(
            f"{Path(group).name}={option[:40]}...: this option name is {len(option)} characters long, longer "
            f"than any option can be; there is no such option in config group '{Path(group).name}'. "
            f"Check the override (python -m framework.train --help lists the options)."
        ) from None
    except (yaml.YAMLError, OmegaConfBaseException) as error:
        raise ConfigError(
            f"a config file cannot be read: {_first_lines(error)}. Fix the YAML of the file named "
            f"(--config-dir and experiment files included)."
        ) from None
    finally:
        GlobalHydra.instance().clear()
    reject_untrusted_hydra_targets(cfg.hydra)
    reject_code_references(cfg)  # the run's own section; run() checks it again for Python callers
    # Before a sweep starts or a run directory exists; run() checks it again for Python callers.
    pruner = OmegaConf.select(cfg, "pruning.name", default="none")
    check_pruning_has_a_trial(pruner, OmegaConf.select(cfg, "hydra.sweeper._target_") == STUDY_SWEEPER, args.multirun)
    run_settings(cfg)  # before Hydra creates a run directory and TensorFlow loads; run() checks again


def _check_shell_completion(overrides: Sequence[str]) -> None:
    """`-sc` needs what to do, and completes the console script (Hydra's completion script
    recognises `python <file>.py` and installed commands, never `python -m <module>`)."""
    install = 'eval "$(framework-train -sc install=bash)"'
    actions = [override for override in overrides if override.partition("=")[0] in ("install", "uninstall", "query")]
    if len(actions) != 1:
        raise ConfigError(
            f"--shell-completion (-sc) needs one of install=<shell>, uninstall=<shell> or query=<shell> "
            f"(shells: bash, zsh, fish). Received: {' '.join(overrides) or 'nothing'}. To complete "
            f"framework-train in bash: {install}"
        )
    if actions[0].startswith("install=") and sys.argv[0].endswith(".py"):  # run as python -m framework.train
        raise ConfigError(
            f"-sc {actions[0]}: Hydra's completion completes an installed command, not python -m framework.train. "
            f"Install it for the console script, the same command: {install.replace('bash', actions[0].partition('=')[2])}, "
            f"then framework-train optimizer.<TAB>."
        )


def _first_lines(error: Exception) -> str:
    return " ".join(line.strip() for line in str(error).strip().splitlines()[:4])
