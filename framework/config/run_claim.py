"""Claims the run directory named on the command line before Hydra writes into it.

Hydra writes `.hydra/` and the run log as soon as a job starts, before any
framework code runs. A run directory that belongs to another run (or is being
written by another process) must stay untouched, so the CLI checks and locks
the directory named by `hydra.run.dir=` first; `run()` checks and locks again
for callers of the Python API (a nested claim in one process shares the lock).

The default run directory (`outputs/<date>/<time>-<run id>`, configs/train.yaml)
is unique per process: `${run_id:}` is a random name drawn once per process,
so runs started in the same second never share a directory.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf

from framework.config.user_errors import is_bad_input
from framework.run_directory import RunDirectory

# One per process: every config composed in this process names the same default directory.
_RUN_ID = secrets.token_hex(3)
_MULTIRUN_FLAGS = ("-m", "--multirun")
# Directories named with hydra.run.dir= (and their parents) that did not exist when this process claimed them.
_CREATED_HERE: set[Path] = set()


def register_resolvers() -> None:
    """Makes `${run_id:}` usable in configs (the default hydra.run.dir)."""
    OmegaConf.register_new_resolver("run_id", lambda: _RUN_ID, replace=True)


@contextlib.contextmanager
def claimed_run_directory(arguments: Sequence[str]) -> Iterator[None]:
    """Holds the lock of the directory `hydra.run.dir=<dir>` names while the block runs.

    Without such an override (the unique default), in a multirun (one
    directory per job), or with a directory spelled through interpolations,
    the claim is left to `run()`.

    Raises:
        RunDirectoryError: The directory holds another run (and this is no
            resume), or another process is writing it.
    """
    directory = _named_run_directory(arguments)
    if directory is None:
        yield
        return
    run_dir = RunDirectory(directory)
    missing = run_dir.path.absolute()
    while not missing.exists():
        _CREATED_HERE.add(missing)
        missing = missing.parent
    try:
        with run_dir.claimed():
            if not any(argument.startswith("resume=") for argument in arguments):
                run_dir.refuse_if_taken()
            yield
    except BaseException as exception:
        if is_bad_input(exception):
            remove_failed_start(run_dir.path)  # bad input leaves nothing behind
        raise


def created_by_this_process(path: str | Path) -> bool:
    """Whether this process made the run directory `path`: the one hydra.run.dir= named did
    not exist when it was claimed, or the name holds this process's run id (`${run_id:}`,
    the default layout, drawn afresh by every process). Unsure is no: a directory
    someone named that existed before is never this process's."""
    path = Path(path).absolute()
    return path in _CREATED_HERE or _RUN_ID in path.name


def remove_failed_start(path: str | Path) -> None:
    """Bad input stopped the run at `path` before training: if this process created the
    directory and it holds only Hydra's record, the log and FAILED, it goes, with the
    parents this process created for it that are left empty (the default layout's date
    folder). A directory that existed before is never touched."""
    path = Path(path).absolute()
    if not created_by_this_process(path) or not RunDirectory(path).remove_failed_start():
        return
    parent = path.parent
    while parent in _CREATED_HERE or (_RUN_ID in path.name and parent == path.parent):
        try:
            parent.rmdir()
        except OSError:  # not empty: other runs live there
            return
        parent = parent.parent


def _named_run_directory(arguments: Sequence[str]) -> str | None:
    if any(flag in arguments for flag in _MULTIRUN_FLAGS):
        return None
    candidates = [argument for argument in arguments if argument.startswith("hydra.run.dir=")]
    if not candidates:
        return None
    try:
        value = OverridesParser.create().parse_override(candidates[-1]).value()
    except HydraException:
        return None  # Hydra reports the unparsable override itself
    return value if isinstance(value, str) and "${" not in value else None
