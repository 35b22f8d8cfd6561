"""Every path a run writes and reads, named once.

    <run dir>/
      .hydra/config.yaml, .hydra/overrides.yaml   Hydra's record of the composed config
      tensorboard/        TensorBoard events (the tensorboard logger); with
                          profile.epochs > 0 also plugins/profile/, the profiler's trace
      checkpoints/        ckpt-<epoch>.npz: the run's variables after that many epochs;
                          ckpt-<epoch>+<step>.npz: and that many steps of the next (checkpoint.every_n_steps)
      model.keras         the trained model
      model_summary.txt   the model's layers, output shapes and parameter counts
      model_best.keras    with checkpoint.best.monitor set: the model of the best epoch
      saved_model/        with export.saved_model=true
      summary.json        final metrics and variables
      classes.json        a classifier's class names, in the order of its outputs, and whether they are logits
      features.json       the names of the input columns, for runs trained on a CSV file
      init_from.json      with init_from: the run the weights came from and which layers took them
      evaluations/        framework.evaluate's results, one JSON file per data set and split
      metrics.csv         one row per epoch record (the csv logger)
      mlflow_run_id       the MLflow run this run records into (the mlflow logger)
      wandb_run_id        the W&B run this run records into (the wandb logger)
      <name>.png          the end-of-run plots
      FAILED              only when the run failed: the error
      train.log           the run's log (Hydra's job log, `<job name>.log`)
      .lock               held (flock) by the one process writing the run
      checkpoints/experiment.json   the fingerprint of the experiment the checkpoints belong to
      checkpoints/data.json   the data files the run read: path, size, modification time, SHA-256
      checkpoints/ckpt-<epoch>.state.json   logs and callback state saved with each checkpoint

A failed run has a FAILED file and no summary.json or model.keras, so nothing
half-written passes for a result. A run stopped by a signal is neither
failed nor finished: it has a checkpoint and can be resumed.

A run directory belongs to one run: one process writes it at a time (an OS
file lock on `.lock`, released by the kernel when its process dies, so a
SIGKILL never leaves a stale lock), and a new run refuses a directory that
already holds another run's results.

This module imports nothing heavy: the resume argument check and Hydra
callbacks use it before TensorFlow starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from framework.errors import OutputWriteError, RunDirectoryError, TrainingInterrupted

# Lock files this process holds, so nested claims of one directory (the CLI
# claims it before Hydra writes there, run() claims it again) share one lock.
_HELD_LOCKS: dict[Path, int] = {}


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; it replaces `path` when the block ends
    well, and is removed when it fails, so `path` appears whole or not at all."""
    temporary = path.with_name(f".partial-{path.name}")  # the same suffix: some writers insist on theirs
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass(frozen=True)
class RunDirectory:
    """The directory of one run and the names of everything in it.

    Attributes:
        path: The run directory (Hydra's output directory for the job).
    """

    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))  # a str is welcome too

    @property
    def events(self) -> Path:
        return self.path / "tensorboard"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def model(self) -> Path:
        return self.path / "model.keras"

    @property
    def model_summary(self) -> Path:
        return self.path / "model_summary.txt"

    @property
    def best_model(self) -> Path:
        return self.path / "model_best.keras"

    @property
    def saved_model(self) -> Path:
        return self.path / "saved_model"

    @property
    def summary(self) -> Path:
        return self.path / "summary.json"

    @property
    def class_names(self) -> Path:
        return self.path / "classes.json"

    @property
    def feature_names(self) -> Path:
        return self.path / "features.json"

    @property
    def init_from_report(self) -> Path:
        return self.path / "init_from.json"

    def evaluation(self, name: str) -> Path:
        """Where framework.evaluate writes its result `name`."""
        return self.path / "evaluations" / f"{name}.json"

    @property
    def metrics_csv(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def mlflow_run_id(self) -> Path:
        return self.path / "mlflow_run_id"

    @property
    def wandb_run_id(self) -> Path:
        return self.path / "wandb_run_id"

    @property
    def failed_marker(self) -> Path:
        return self.path / "FAILED"

    @property
    def lock_file(self) -> Path:
        return self.path / ".lock"

    @property
    def log(self) -> Path:
        return self.path / "train.log"

    @property
    def hydra_record(self) -> Path:
        return self.path / ".hydra"

    @property
    def fingerprint(self) -> Path:
        return self.checkpoints / "experiment.json"

    @property
    def data_identity(self) -> Path:
        return self.checkpoints / "data.json"

    def checkpoint(self, epochs_done: int, steps_done: int = 0) -> Path:
        """The variables (model and optimizer) saved after `epochs_done` epochs and `steps_done`
        steps of the next one (checkpoint.every_n_steps): ckpt-<epochs>.npz, ckpt-<epochs>+<steps>.npz."""
        return self.checkpoints / f"ckpt-{_position_name(epochs_done, steps_done)}.npz"

    def checkpoint_state(self, epochs_done: int, steps_done: int = 0) -> Path:
        """The Python-side state (logs, callbacks, records) saved with that checkpoint."""
        return self.checkpoints / f"ckpt-{_position_name(epochs_done, steps_done)}.state.json"

    def checkpoint_positions(self) -> list[tuple[int, int]]:
        """(epochs done, steps done of the next epoch) of every checkpoint on disk, oldest first."""
        suffix = self.checkpoint(0).name.removeprefix("ckpt-0")
        names = (path.name.removeprefix("ckpt-").removesuffix(suffix) for path in self.checkpoints.glob(f"ckpt-*{suffix}"))
        positions = (name.split("+") if "+" in name else (name, "0") for name in names)
        return sorted((int(epochs), int(steps)) for epochs, steps in positions if epochs.isdigit() and steps.isdigit())

    def checkpoint_epochs(self) -> list[int]:
        """The epochs done of every checkpoint saved at an epoch's end, oldest first."""
        return [epochs for epochs, steps in self.checkpoint_positions() if steps == 0]

    def checkpoint_states(self) -> list[Path]:
        return sorted(self.checkpoints.glob("ckpt-*.state.json"))

    @property
    def saved_config(self) -> Path:
        return self.hydra_record / "config.yaml"

    @property
    def saved_overrides(self) -> Path:
        return self.hydra_record / "overrides.yaml"

    def plot(self, name: str) -> Path:
        return self.path / f"{name}.png"

    def plots(self) -> list[Path]:
        """The plots the run saved."""
        return sorted(self.path.glob(self.plot("*").name))

    def results(self) -> list[Path]:
        """What a run leaves behind here (checkpoints, events, model, summary, marker), if anything."""
        candidates = (self.checkpoints, self.events, self.model, self.summary, self.failed_marker)
        return [path for path in candidates if path.is_file() or (path.is_dir() and any(path.iterdir()))]

    def remove_failed_start(self) -> bool:
        """Removes the directory if it holds only what a run that stopped before training
        leaves (Hydra's record, the log, FAILED, the lock, the model summary, the
        checkpoints folder with the fingerprint and data identity alone). Returns whether it was removed.

        Only for a directory the caller's process created: this cannot tell whose it is.
        """
        start_only = {self.hydra_record, self.log, self.failed_marker, self.lock_file, self.model_summary}
        records = (self.fingerprint, self.data_identity)
        fingerprint_only = self.checkpoints.is_dir() and all(path in records for path in self.checkpoints.iterdir())
        if not self.path.is_dir() or any(
            path not in start_only and not (path == self.checkpoints and fingerprint_only) for path in self.path.iterdir()
        ):
            return False
        shutil.rmtree(self.path, ignore_errors=True)
        return not self.path.exists()

    def refuse_if_taken(self) -> None:
        """Raises RunDirectoryError if another run already wrote results here."""
        found = self.results()
        if found:
            raise RunDirectoryError(
                f"hydra.run.dir={self.path}: this directory already holds another run "
                f"({', '.join(path.name for path in found)}), and a new run never writes into it. "
                f"Continue that run with resume={self.path}, or start a new one elsewhere with "
                f"hydra.run.dir=<another dir>."
            )

    @contextlib.contextmanager
    def claimed(self) -> Iterator[None]:
        """Holds the directory's lock while the block runs: no other process can write the run.

        Raises:
            RunDirectoryError: Another process holds the lock (trains or resumes this run now).
        """
        path = self.lock_file.resolve()
        if path in _HELD_LOCKS:  # this process claimed it already (the CLI, before Hydra)
            yield
            return
        self.path.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise RunDirectoryError(
                f"hydra.run.dir={self.path}: another process is training this run right now (it holds "
                f"{self.lock_file.name}), and two processes never write one run directory. Wait for it "
                f"to end (then resume={self.path} if it stopped), or start a new run elsewhere with "
                f"hydra.run.dir=<another dir>."
            ) from None
        _HELD_LOCKS[path] = descriptor
        try:
            yield
        finally:
            del _HELD_LOCKS[path]
            os.close(descriptor)  # closing the descriptor releases the lock

    @contextlib.contextmanager
    def writing(self, what: str, path: Path, errors: tuple[type[BaseException], ...] = (OSError,)) -> Iterator[None]:
        """Turns a failed write of `what` at `path` (a full disk, an I/O error) into OutputWriteError.

        Only errors about a file of this run count; others propagate unchanged.

        Args:
            what: The output in words, e.g. "the checkpoint".
            path: Where it is written.
            errors: What the writer raises when writing fails (TensorFlow's writers add their OpError).
        """
        try:
            yield
        except errors as error:
            # Only failures of files in this run are write failures; anything else keeps its own error.
            # (Python's write errors at flush time name no file: they come from the block's own writes.)
            unnamed_os_error = isinstance(error, OSError) and error.filename is None
            if not unnamed_os_error and str(self.path) not in f"{getattr(error, 'filename', None)} {error}":
                raise
            cause = getattr(error, "strerror", None) or getattr(error, "message", None) or str(error)
            raise OutputWriteError(
                f"cannot write {what} {path}: {str(cause).strip().splitlines()[0]}. Nothing half-written was "
                f"left and the newest checkpoint before it is intact: free some space (or fix the disk) and "
                f"continue with resume={self.path}."
            ) from error

    def failure(self) -> str | None:
        """The recorded error of a failed run, or None."""
        marker = self.failed_marker
        return marker.read_text().strip() if marker.is_file() else None

    @contextlib.contextmanager
    def marking_failure(self) -> Iterator[None]:
        """Writes FAILED with the error if the block raises (and re-raises it).

        The marker describes the latest attempt: a block that ends well, or
        is stopped by a signal, clears an old one. A finished run (one with
        summary.json) is never marked: a failed resume attempt leaves its
        results as they were.
        """
        try:
            yield
        except TrainingInterrupted:
            self.failed_marker.unlink(missing_ok=True)
            raise
        except Exception as error:  # any failure, bug or user error, leaves a marked run
            if not self.summary.is_file():
                self.mark_failed(error)
            raise
        self.failed_marker.unlink(missing_ok=True)

    def mark_failed(self, error: BaseException) -> None:
        """Writes FAILED holding `error`; says so on stderr where even that cannot be written."""
        temporary = self.failed_marker.with_name(f".{self.failed_marker.name}.tmp")
        try:
            temporary.write_text(f"{type(error).__name__}: {error}\n")
            temporary.replace(self.failed_marker)
        except OSError as cause:
            sys.stderr.write(f"Warning: could not mark the run failed in {self.failed_marker}: {cause.strerror or cause}\n")
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


def _position_name(epochs_done: int, steps_done: int) -> str:
    return f"{epochs_done}+{steps_done}" if steps_done else str(epochs_done)
