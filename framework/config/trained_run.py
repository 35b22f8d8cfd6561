"""A finished run named on a command line (`run=`, `init_from=`), checked before TensorFlow starts."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from framework.errors import InputError
from framework.run_directory import RunDirectory


def check_finished_run(run_dir: Path, key: str = "run") -> None:
    """Raises InputError unless `run_dir` holds a trained model (model.keras).

    The message says what to do: a failed run's recorded error and a stopped
    run's checkpoints both point to `resume=`, which finishes the run.
    """
    if not run_dir.is_dir():
        raise InputError(
            f"{key}={run_dir}: no such directory. Pass the directory of a finished run, "
            f"e.g. {key}=outputs/2024-01-31/12-00-00 (it holds the trained model)."
        )
    directory = RunDirectory(run_dir)
    if directory.model.is_file():
        return
    failure = directory.failure()
    if failure:
        state = f"the run failed ({failure.splitlines()[0]}). Fix that, then finish it"
    elif directory.checkpoint_states():
        state = "the run stopped before it finished (it has checkpoints). Finish it"
    else:
        raise InputError(f"{key}={run_dir}: there is no {directory.model.name} in it. Did the run finish? Train it again.")
    raise InputError(
        f"{key}={run_dir}: there is no {directory.model.name} in it: {state} with "
        f"python -m framework.train resume={run_dir}, which saves the model when training ends."
    )


def run_plugins(run_dir: Path) -> list[str]:
    """The `plugins` the run was trained with, from its saved config (none if it has no record)."""
    saved = RunDirectory(run_dir).saved_config
    return list(OmegaConf.load(saved).get("plugins", [])) if saved.is_file() else []
