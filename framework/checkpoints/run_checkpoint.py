"""One checkpoint format for every strategy and backend: the run's variables in a NumPy file.

A checkpoint holds everything a run needs to continue as if never stopped:
    model        every model variable, non-trainable ones included: Keras keeps
                 the state of its random seed generators (Dropout...) there
    optimizer    every optimizer variable; its `iterations` is the global step
    epochs_done  with batches a pure function of (seed, epoch, step), this is
                 also the data pipeline's position
    steps_done   steps of the next epoch already trained (checkpoint.every_n_steps),
                 with that epoch's progress: its running loss as a sum over the
                 examples seen and their count, then the running values of its
                 training metrics (their variables), so the epoch's logs come
                 out as if never stopped
in `checkpoints/ckpt-<epochs done>.npz` (`ckpt-<epochs>+<steps>.npz` inside an
epoch), each variable under its index with
its path beside it (checked on restore). The variables are read as NumPy
arrays and assigned back, so a checkpoint written under one strategy, or on
one backend, restores under the other.

Beside each checkpoint a small JSON file holds what lives in Python rather
than in variables: the epoch's logs (the metrics a run killed after its last
checkpoint reports on resume), the state of callbacks that must survive a
resume (early stopping's patience counter and best value) and the run's
records. It is written before the checkpoint, so every checkpoint has one.
Both are written under a temporary name and renamed, so a process killed
while saving leaves the previous checkpoint as the newest one; files are
loaded without pickles, so a checkpoint cannot run code.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from framework.errors import CheckpointError
from framework.run_directory import RunDirectory, replacing

log = logging.getLogger("framework")

_PARTS = ("model", "optimizer")


class RunCheckpoint:
    """Saves and restores a run's state under `run_dir.checkpoints`, keeping the newest `keep`."""

    def __init__(self, run_dir: RunDirectory, model: keras.Model, optimizer: keras.optimizers.Optimizer, keep: int):
        self.run_dir = run_dir
        self.directory = run_dir.checkpoints
        self.optimizer = optimizer
        self.keep = keep
        # Built now so its variables exist before a restore (a no-op for a built optimizer).
        optimizer.build(model.trainable_variables)
        self._variables = {"model": list(model.variables), "optimizer": list(optimizer.variables)}
        self.saved_epoch: int | None = None
        self.restored_state: dict[str, Any] = {}  # the Python-side state of the restored checkpoint
        self.restored_progress: list[np.ndarray] = []  # the restored epoch's progress, when saved inside one

    @property
    def global_step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    def save(
        self, epochs_done: int, state: dict[str, Any], steps_done: int = 0, progress: list[np.ndarray] | None = None
    ) -> Path:
        """Writes a checkpoint after `epochs_done` epochs and `steps_done` steps of the next, with
        `state` (JSON-ready) beside it and the epoch's `progress` (see above); returns its path."""
        path, state_file = self.run_dir.checkpoint(epochs_done, steps_done), self.run_dir.checkpoint_state(epochs_done, steps_done)
        with self.run_dir.writing("the checkpoint", path):
            self.directory.mkdir(parents=True, exist_ok=True)
            with replacing(state_file) as temporary:
                temporary.write_text(json.dumps(state, allow_nan=False) + "\n")
            arrays = {"epochs_done": np.asarray(epochs_done, np.int64), "steps_done": np.asarray(steps_done, np.int64)}
            arrays.update({f"progress.{index}": np.asarray(value) for index, value in enumerate(progress or [])})
            for part, variables in self._variables.items():
                arrays[f"{part}.paths"] = np.asarray([variable.path for variable in variables], dtype=str)
                arrays.update({f"{part}.{index}": np.asarray(v.numpy()) for index, v in enumerate(variables)})
            try:
                with replacing(path) as temporary, open(temporary, "wb") as file:
                    np.savez(file, **arrays)
            except OSError:
                state_file.unlink(missing_ok=True)
                raise
        if not steps_done:
            self.saved_epoch = epochs_done
        self._remove_old()
        return path

    def restore(self) -> tuple[int, int]:
        """Restores the newest checkpoint; returns the epochs it had completed and the steps of
        the next one (its progress is then in `restored_progress`).

        A run killed before its first checkpoint was complete has none: it
        starts again from its beginning (0 epochs done).

        Raises:
            CheckpointError: The newest checkpoint cannot be read or does not fit the model.
        """
        path = self.newest()
        if path is None:
            log.warning("No complete checkpoint in %s: the run starts again from its beginning.", self.directory)
            return 0, 0
        try:
            with np.load(path, allow_pickle=False) as arrays:
                values = {part: self._values(arrays, part) for part in _PARTS}
                epochs_done = int(arrays["epochs_done"])
                steps_done = int(arrays["steps_done"]) if "steps_done" in arrays else 0
                progress = [arrays[f"progress.{index}"] for index in range(_count(arrays, "progress."))]
        # NumPy reports a damaged, foreign or mismatched file as any of these.
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise CheckpointError(
                f"resume: the checkpoint {path} cannot be restored: {_first_line(error)}. "
                f"If it is damaged, delete its files ({path.name.split('.')[0]}.*) to resume from the "
                f"checkpoint before it; if the run's config changed, resume with the saved one."
            ) from error
        for part, variables in self._variables.items():
            for variable, value in zip(variables, values[part]):
                variable.assign(value)
        self.saved_epoch = epochs_done
        self.restored_state = self._read_state(epochs_done, steps_done)
        self.restored_progress = progress
        return epochs_done, steps_done

    def newest(self) -> Path | None:
        """The newest checkpoint on disk (one is written whole or not at all)."""
        positions = self.run_dir.checkpoint_positions() if self.directory.is_dir() else []
        return self.run_dir.checkpoint(*positions[-1]) if positions else None

    def _values(self, arrays: Any, part: str) -> list[np.ndarray]:
        """The saved values of `part`'s variables, checked against the variables they go into."""
        variables = self._variables[part]
        paths = arrays[f"{part}.paths"].tolist()
        if paths != [variable.path for variable in variables]:
            raise ValueError(f"its {part} variables are {len(paths)} others than this run's {len(variables)}")
        values = [arrays[f"{part}.{index}"] for index in range(len(variables))]
        for variable, value in zip(variables, values):
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(f"{variable.path} has shape {value.shape} there, {tuple(variable.shape)} here")
        return values

    def _read_state(self, epochs_done: int, steps_done: int) -> dict[str, Any]:
        state_file = self.run_dir.checkpoint_state(epochs_done, steps_done)
        try:
            return json.loads(state_file.read_text())
        except FileNotFoundError:
            return {}  # written before this format had it: logs and callback state start afresh
        except (OSError, ValueError) as error:
            raise CheckpointError(
                f"resume: {state_file} cannot be read: {error}. If it is damaged, delete the checkpoint's "
                f"files ({state_file.name.removesuffix('.state.json')}.*) to resume from the checkpoint before it."
            ) from error

    def _remove_old(self) -> None:
        """Keeps the newest `keep` checkpoints and their states; states without a checkpoint go too."""
        positions = self.run_dir.checkpoint_positions()
        kept = positions[-self.keep :]
        for position in positions:
            if position not in kept:
                self.run_dir.checkpoint(*position).unlink(missing_ok=True)
        kept_states = {self.run_dir.checkpoint_state(*position) for position in kept}
        for state_file in self.run_dir.checkpoint_states():
            if state_file not in kept_states:
                state_file.unlink(missing_ok=True)


def read_checkpoint(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """A checkpoint's variables as {"model": {path: value}, "optimizer": {path: value}} (for tools and tests)."""
    with np.load(path, allow_pickle=False) as arrays:
        return {
            part: {name: arrays[f"{part}.{index}"] for index, name in enumerate(arrays[f"{part}.paths"].tolist())}
            for part in _PARTS
        }


def _count(arrays: Any, prefix: str) -> int:
    return sum(1 for name in arrays.files if name.startswith(prefix))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
