"""Every path a run writes and reads, named once.

    <run dir>/
      .hydra/config.yaml, .hydra/overrides.yaml   Hydra's record of the composed config
      tensorboard/        TensorBoard events (the tensorboard logger); with
                          profile.epochs > 0 also plugins/profile/, the profiler's trace
      checkpoints/        ckpt-<epoch>.* and the `checkpoint` index
      model.keras         the trained model
      model_summary.txt   the model's layers, output shapes and parameter counts
      model_best.keras    with checkpoint.best.monitor set: the model of the best epoch
      saved_model/        with export.saved_model=true
      summary.json        final metrics and variables
      classes.json        a classifier's class names, in the order of its outputs, and whether they are logits
      metrics.csv         one row per epoch record (the csv logger)
      mlflow_run_id       the MLflow run this run records into (the mlflow logger)
      <name>.png          the end-of-run plots
      FAILED              only when the run failed: the error

A failed run has a FAILED file and no summary.json or model.keras, so nothing
half-written passes for a result. A run stopped by a signal is neither
failed nor finished: it has a checkpoint and can be resumed.

This module imports nothing heavy: the resume argument check and Hydra
callbacks use it before TensorFlow starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from framework.errors import TrainingInterrupted


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
    def metrics_csv(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def mlflow_run_id(self) -> Path:
        return self.path / "mlflow_run_id"

    @property
    def failed_marker(self) -> Path:
        return self.path / "FAILED"

    @property
    def saved_config(self) -> Path:
        return self.path / ".hydra" / "config.yaml"

    @property
    def saved_overrides(self) -> Path:
        return self.path / ".hydra" / "overrides.yaml"

    def plot(self, name: str) -> Path:
        return self.path / f"{name}.png"

    def plots(self) -> list[Path]:
        """The plots the run saved."""
        return sorted(self.path.glob(self.plot("*").name))

    def failure(self) -> str | None:
        """The recorded error of a failed run, or None."""
        marker = self.failed_marker
        return marker.read_text().strip() if marker.is_file() else None

    @contextlib.contextmanager
    def marking_failure(self) -> Iterator[None]:
        """Writes FAILED with the error if the block raises (and re-raises it);
        clears an old marker when the block starts, since the run is being tried again."""
        self.failed_marker.unlink(missing_ok=True)
        try:
            yield
        except TrainingInterrupted:
            raise
        except Exception as error:  # any failure, bug or user error, leaves a marked run
            with contextlib.suppress(OSError):  # an unwritable run dir cannot be marked
                self.failed_marker.write_text(f"{type(error).__name__}: {error}\n")
            raise
