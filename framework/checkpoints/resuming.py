"""Continuing a stopped run in its own directory: `resume=<run dir>`.

A resume continues the same run or refuses: the checkpoints' experiment
fingerprint must match the config being resumed. Resuming a finished run is
a no-op success (requeue loops resume blindly).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.config.fingerprint import experiment_changes
from framework.data.identity import changed_files
from framework.errors import CheckpointError, ResumeError
from framework.result import RunResult
from framework.run_directory import RunDirectory

log = logging.getLogger("framework")


def finished_run(run_dir: RunDirectory, resume: str | None, epochs: int) -> RunResult | None:
    """The summary of the run being resumed if it already trained `epochs` epochs, else None."""
    if resume is None or not run_dir.summary.is_file():
        return None
    try:
        result = RunResult.read(run_dir.summary)
    except (OSError, ValueError, TypeError) as error:
        raise ResumeError(
            f"resume={resume}: {run_dir.summary} cannot be read ({error}). Delete it to let the resume "
            f"write it again from the newest checkpoint."
        ) from error
    if result.epochs < epochs:
        return None
    log.info("resume=%s: the run already finished its %d epochs; nothing to do. Raise epochs to train it further.", resume, result.epochs)
    return result


def resume_run(
    checkpoint: RunCheckpoint,
    run_dir: RunDirectory,
    resume: str | None,
    fingerprint: dict[str, Any],
    data: list[dict[str, Any]] | None = None,
    allow_changed_data: bool = False,
) -> tuple[int, int]:
    """Restores the newest checkpoint of the run being resumed; returns the epochs it had done
    and the steps of the next one (a checkpoint saved inside an epoch, checkpoint.every_n_steps).

    A new run (`resume` None) records `fingerprint` and the identity of its data
    files (`data`, framework.data.identity) for later resumes and starts at epoch 0.

    Raises:
        ResumeError: `resume` is not this run's directory, its checkpoints
            belong to another experiment (the message lists the differences),
            or a data file changed since (unless `allow_changed_data`).
        CheckpointError: The newest checkpoint cannot be read.
    """
    if resume is None:
        _write_fingerprint(run_dir, fingerprint)
        _write_record(run_dir, run_dir.data_identity, data, "the data identity")
        return 0, 0
    if Path(resume).resolve() != run_dir.path.resolve():
        raise ResumeError(
            f"resume={resume}: a run is resumed in its own directory, but this one "
            f"writes into {run_dir.path}. Use python -m framework.train resume={resume}, "
            f"which continues it in place."
        )
    _check_fingerprint(run_dir, fingerprint, resume, has_checkpoint=checkpoint.newest() is not None)
    _check_data(run_dir, data or [], resume, allow_changed_data)
    epochs_done, steps_done = checkpoint.restore()
    if steps_done:
        log.info("Resuming inside epoch %d at its step %d (step %d) from %s.", epochs_done, steps_done,
                 checkpoint.global_step, checkpoint.newest())
    elif epochs_done:
        log.info("Resuming after epoch %d (%d epochs done, step %d) from %s.", epochs_done - 1, epochs_done,
                 checkpoint.global_step, checkpoint.newest())
    return epochs_done, steps_done


def _check_fingerprint(run_dir: RunDirectory, fingerprint: dict[str, Any], resume: str, has_checkpoint: bool) -> None:
    path = run_dir.fingerprint
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        if has_checkpoint:
            raise CheckpointError(
                f"resume={resume}: the checkpoints carry no record of the experiment they belong to "
                f"({path} is missing), so continuing them could mix two experiments. Start a new run."
            ) from None
        _write_fingerprint(run_dir, fingerprint)  # killed before its first checkpoint: it starts again
        return
    except (OSError, ValueError) as error:
        raise CheckpointError(f"resume={resume}: {path} cannot be read ({error}); start a new run.") from error
    changes = experiment_changes(saved, fingerprint)
    if changes:
        raise ResumeError(
            f"resume={resume}: the run's checkpoints belong to another experiment than this config, "
            f"so they cannot be continued:\n" + "\n".join(changes) + "\n"
            "(old -> this config). Resume with the run's own config, or start a new run."
        )


def _check_data(run_dir: RunDirectory, data: list[dict[str, Any]], resume: str, allowed: bool) -> None:
    """Refuses data files that changed since the run recorded them (a run that recorded none records them now)."""
    path = run_dir.data_identity
    try:
        saved = json.loads(path.read_text()) if path.is_file() else None
    except (OSError, ValueError) as error:
        raise CheckpointError(f"resume={resume}: {path} cannot be read ({error}); start a new run.") from error
    changes = changed_files(saved, data) if saved is not None else []
    if changes and not allowed:
        raise ResumeError(
            f"resume={resume}: the data changed since the run read it, so its checkpoints would continue "
            f"on other data:\n" + "\n".join(changes) + "\n(recorded -> now). Restore the data the run "
            f"trained on, start a new run, or continue anyway with allow_changed_data=true."
        )
    if changes:
        log.warning("resume=%s: continuing on changed data (allow_changed_data=true):\n%s", resume, "\n".join(changes))
    if saved is None or changes:
        _write_record(run_dir, path, data, "the data identity")


def _write_fingerprint(run_dir: RunDirectory, fingerprint: dict[str, Any]) -> None:
    _write_record(run_dir, run_dir.fingerprint, fingerprint, "the experiment fingerprint")


def _write_record(run_dir: RunDirectory, path: Path, record: Any, what: str) -> None:
    """`record` as JSON at `path`, whole or not at all; nothing when `record` is empty."""
    if not record:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    with run_dir.writing(what, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
