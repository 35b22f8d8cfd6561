"""One checkpoint format for every strategy: tf.train.Checkpoint + CheckpointManager.

A checkpoint holds everything a run needs to continue as if never stopped:
    model        every model variable, non-trainable ones included: Keras keeps
                 the state of its random seed generators (Dropout...) there
    optimizer    every optimizer variable; its `iterations` is the global step
    epoch        epochs completed; with batches a pure function of
                 (seed, epoch, step), this is also the data pipeline's position

Keras 3 models are not tracked as tf.train.Checkpoint children, so the
variables are tracked as explicit lists. Their order is fixed by the config
(the same model and optimizer build the same variables in the same order), so
a checkpoint written under one strategy restores under the other.

Beside each checkpoint a small JSON file holds what lives in Python rather
than in variables: the epoch's logs (the metrics a run killed after its last
checkpoint reports on resume) and the state of callbacks that must survive a
resume (early stopping's patience counter and best value). It is written
before the checkpoint, so every checkpoint listed in the index has one.

TensorFlow writes the data and index files under temporary names and renames
them, and CheckpointManager updates its `checkpoint` index file (atomically)
only after both exist, so a process killed while saving leaves the previous
checkpoint as the newest one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from framework.errors import CheckpointError
from framework.run_directory import RunDirectory

log = logging.getLogger("framework")


class RunCheckpoint:
    """Saves and restores a run's state under `run_dir.checkpoints` (`ckpt-<epoch>.*` files)."""

    def __init__(self, run_dir: RunDirectory, model: keras.Model, optimizer: keras.optimizers.Optimizer, keep: int):
        self.run_dir = run_dir
        self.directory = run_dir.checkpoints
        self.optimizer = optimizer
        # Built now so its variables exist before a restore (a no-op for a built optimizer).
        optimizer.build(model.trainable_variables)
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_done")
        self._checkpoint = tf.train.Checkpoint(
            model=list(model.variables), optimizer=list(optimizer.variables), epoch=self._epoch
        )
        self._manager = tf.train.CheckpointManager(self._checkpoint, str(self.directory), max_to_keep=keep)
        self.saved_epoch: int | None = None
        self.restored_state: dict[str, Any] = {}  # the Python-side state of the restored checkpoint

    @property
    def global_step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    def save(self, epochs_done: int, state: dict[str, Any]) -> str:
        """Writes a checkpoint after `epochs_done` epochs with `state` (JSON-ready) beside it; returns its path prefix."""
        state_file = self.run_dir.checkpoint_state(epochs_done)
        with self.run_dir.writing("the checkpoint", state_file.parent, (OSError, tf.errors.OpError)):
            state_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = state_file.with_name(f".{state_file.name}.tmp")
            try:
                temporary.write_text(json.dumps(state, allow_nan=False) + "\n")
                os.replace(temporary, state_file)
            finally:
                temporary.unlink(missing_ok=True)
            self._epoch.assign(epochs_done)
            try:
                path = self._manager.save(checkpoint_number=epochs_done)
            except tf.errors.OpError:
                # TensorFlow leaves its unfinished files in ckpt-<n>_temp; the index still names the previous checkpoint.
                shutil.rmtree(self.run_dir.unfinished_checkpoint(epochs_done), ignore_errors=True)
                state_file.unlink(missing_ok=True)
                raise
        self.saved_epoch = epochs_done
        self._remove_unlisted_states()
        return path

    def restore(self) -> int:
        """Restores the newest intact checkpoint; returns the epochs it had completed.

        A run killed before its first checkpoint was complete has none: it
        starts again from its beginning (0 epochs done).

        Raises:
            CheckpointError: The newest checkpoint cannot be read.
        """
        path = self.newest()
        if path is None:
            log.warning("No complete checkpoint in %s: the run starts again from its beginning.", self.directory)
            return 0
        try:
            self._checkpoint.restore(path).assert_existing_objects_matched()
        # TensorFlow reports a damaged or mismatched checkpoint as any of these.
        except (tf.errors.OpError, AssertionError, ValueError, IndexError) as error:
            raise CheckpointError(
                f"resume: the checkpoint {path} cannot be restored: {_first_line(error)}. "
                f"If it is damaged, delete its files ({Path(path).name}.*) to resume from the "
                f"checkpoint before it; if the run's config changed, resume with the saved one."
            ) from error
        self.saved_epoch = int(self._epoch.numpy())
        self.restored_state = self._read_state(self.saved_epoch)
        return self.saved_epoch

    def _read_state(self, epochs_done: int) -> dict[str, Any]:
        state_file = self.run_dir.checkpoint_state(epochs_done)
        try:
            return json.loads(state_file.read_text())
        except FileNotFoundError:
            return {}  # written before this format had it: logs and callback state start afresh
        except (OSError, ValueError) as error:
            raise CheckpointError(
                f"resume: {state_file} cannot be read: {error}. If it is damaged, delete the checkpoint's "
                f"files (ckpt-{epochs_done}.*) to resume from the checkpoint before it."
            ) from error

    def _remove_unlisted_states(self) -> None:
        listed = {self.run_dir.checkpoint_state(int(path.rsplit("-", 1)[1])) for path in self._manager.checkpoints}
        for state_file in self.run_dir.checkpoint_states():
            if state_file not in listed:
                state_file.unlink(missing_ok=True)

    def newest(self) -> str | None:
        """The newest checkpoint listed in the index whose files are all on disk."""
        for path in reversed(self._manager.checkpoints):
            if tf.io.gfile.exists(f"{path}.index"):
                return path
        return None


def _first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
