"""What keeps a run from losing work, assembled for `run()`: its checkpoint
(restored when resuming), the callbacks that save it and stop early, and the
handling of stop signals."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keras

from framework.callbacks.checkpoint_saver import CheckpointSaver
from framework.callbacks.early_stopping import early_stopping_callbacks
from framework.checkpoints.interruption import StopOnSignal
from framework.checkpoints.log_health import LogDirectoryWatch
from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.checkpoints.tensorboard_restart import mark_restart
from framework.data.synthetic import SyntheticData
from framework.errors import ConfigError, ResumeError, TrainingInterrupted

if TYPE_CHECKING:
    from framework.run import RunSettings

log = logging.getLogger("framework")

CHECKPOINT_DIR = "checkpoints"


class Safeguards:
    """Checkpointing, resuming and stop signals for one run.

    Attributes:
        checkpoint: The run's checkpoint under `<run dir>/checkpoints`.
        initial_epoch: Epochs already done: restored from the checkpoint when
            resuming, else 0.
        callbacks: Early stopping (if enabled), the checkpoint saver and the
            TensorBoard directory watch.
    """

    def __init__(
        self,
        settings: RunSettings,
        run_dir: Path,
        model: keras.Model,
        optimizer: keras.optimizers.Optimizer,
        data: SyntheticData,
    ):
        self.checkpoint = RunCheckpoint(run_dir / CHECKPOINT_DIR, model, optimizer, settings.checkpoint.keep)
        self.initial_epoch = _resume(self.checkpoint, settings, run_dir) if settings.resume else 0
        if settings.early_stopping.monitor == "val_loss" and settings.early_stopping.enabled and not data.validation_steps:
            raise ConfigError(
                "early_stopping.monitor=val_loss, but the data holds no validation examples. "
                "Set data.val_fraction above 0 (e.g. data.val_fraction=0.2) or monitor the "
                "training loss: early_stopping.monitor=loss."
            )
        epochs, every = settings.epochs, settings.checkpoint
        self.callbacks: list[keras.callbacks.Callback] = [
            *early_stopping_callbacks(settings.early_stopping),
            CheckpointSaver(self.checkpoint, lambda epoch: every.due(epoch, epochs)),
            LogDirectoryWatch(run_dir / "tensorboard"),
        ]
        self._stop = StopOnSignal()

    def stop_requested(self) -> bool:
        return self._stop.requested()

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        """Wraps training: signals only request a stop; raises TrainingInterrupted after
        the block if one did (by then the saver has written the checkpoint)."""
        with self._stop:
            yield
        if self._stop.signal_number is not None:
            name = signal.Signals(self._stop.signal_number).name
            run_dir = self.checkpoint.directory.parent
            raise TrainingInterrupted(
                f"{name}: training stopped after epoch {self.checkpoint.saved_epoch} "
                f"(step {self.checkpoint.global_step}); the checkpoint is saved. "
                f"Continue with: python -m framework.train resume={run_dir}",
                self._stop.signal_number,
            )


def _resume(checkpoint: RunCheckpoint, settings: RunSettings, run_dir: Path) -> int:
    """Restores the checkpoint of the run being resumed; returns its epochs done."""
    if Path(settings.resume).resolve() != run_dir.resolve():
        raise ResumeError(
            f"resume={settings.resume}: a run is resumed in its own directory, but this one "
            f"writes into {run_dir}. Use python -m framework.train resume={settings.resume}, "
            f"which continues it in place."
        )
    epochs_done = checkpoint.restore()
    if epochs_done >= settings.epochs and (run_dir / "summary.json").exists():
        raise ResumeError(
            f"resume={settings.resume}: the run already finished its {epochs_done} epochs. "
            f"To train it further, raise epochs, e.g. resume={settings.resume} epochs={epochs_done * 2}."
        )
    # Events the stopped run wrote after its checkpoint (all of them, without one) are dropped.
    mark_restart(run_dir / "tensorboard", checkpoint.global_step if epochs_done else -1)
    if epochs_done:
        log.info("Resuming after epoch %d (step %d) from %s.", epochs_done, checkpoint.global_step, checkpoint.newest())
    return epochs_done
