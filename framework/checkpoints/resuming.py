"""Continuing a stopped run in its own directory: `resume=<run dir>`."""

from __future__ import annotations

import logging
from pathlib import Path

from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.checkpoints.tensorboard_restart import mark_restart
from framework.errors import ResumeError
from framework.run_directory import RunDirectory

log = logging.getLogger("framework")


def resume_run(checkpoint: RunCheckpoint, run_dir: RunDirectory, resume: str, epochs: int) -> int:
    """Restores the newest checkpoint of the run being resumed; returns the epochs it had done.

    Events the stopped run wrote after that checkpoint (all of them, without
    one) are marked for TensorBoard to drop.

    Raises:
        ResumeError: `resume` is not this run's directory, or the run already
            finished its `epochs`.
        CheckpointError: The newest checkpoint cannot be read.
    """
    if Path(resume).resolve() != run_dir.path.resolve():
        raise ResumeError(
            f"resume={resume}: a run is resumed in its own directory, but this one "
            f"writes into {run_dir.path}. Use python -m framework.train resume={resume}, "
            f"which continues it in place."
        )
    epochs_done = checkpoint.restore()
    if epochs_done >= epochs and run_dir.summary.exists():
        raise ResumeError(
            f"resume={resume}: the run already finished its {epochs_done} epochs. "
            f"To train it further, raise epochs, e.g. resume={resume} epochs={epochs_done * 2}."
        )
    mark_restart(run_dir.events, checkpoint.global_step if epochs_done else -1)
    if epochs_done:
        log.info("Resuming after epoch %d (step %d) from %s.", epochs_done, checkpoint.global_step, checkpoint.newest())
    return epochs_done
