"""TensorBoard logging shared by every strategy.

Tags and steps (the step is always the optimizer's global step, so a tag
means the same thing under every strategy):
    epoch/<metric>     epoch logs: loss, val_loss...
    epoch/learning_rate
    step/loss          running epoch loss every `log_every_n_steps` steps
    variables/<path>   each trainable variable: scalars as scalars, tensors as
                       histograms; also written once before training starts
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import keras
import numpy as np
import pydantic
import tensorflow as tf

from framework.callbacks.run_logger import RunLogger
from framework.registry import LOGGERS
from framework.validation import ComponentConfig


class TensorBoardLoggerConfig(ComponentConfig):
    """Attributes:
    log_every_n_steps: Also logs the running loss every N steps; 0 logs per epoch only.
    histograms: Logs non-scalar variables as histograms.
    """

    log_every_n_steps: Annotated[int, pydantic.Field(ge=0)]
    histograms: bool


@LOGGERS.register("tensorboard", config=TensorBoardLoggerConfig)
class TensorBoardLogger(RunLogger):
    """Writes scalars and histograms under `log_dir` with tf.summary."""

    def __init__(self, log_dir: Path, log_every_n_steps: int, histograms: bool):
        super().__init__()
        self.log_dir = Path(log_dir)
        self.log_every_n_steps = log_every_n_steps
        self.histograms = histograms
        self._writer: tf.summary.SummaryWriter | None = None

    def on_train_begin(self, logs=None):
        self._writer = tf.summary.create_file_writer(str(self.log_dir))
        self._write_variables(self._global_step())
        self._writer.flush()

    def on_train_batch_end(self, batch, logs=None):
        if not self.log_every_n_steps or not logs:
            return
        step = self._global_step()
        if step % self.log_every_n_steps == 0:
            with self._writer.as_default(step=step):
                tf.summary.scalar("step/loss", float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        step = self._global_step()
        with self._writer.as_default(step=step):
            for name, value in (logs or {}).items():
                tf.summary.scalar(f"epoch/{name}", float(value))
            tf.summary.scalar("epoch/learning_rate", _current_learning_rate(self.model.optimizer))
        self._write_variables(step)
        self._writer.flush()

    def on_train_end(self, logs=None):
        self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _global_step(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def _write_variables(self, step: int) -> None:
        with self._writer.as_default(step=step):
            for variable in self.model.trainable_variables:
                value = np.asarray(variable.numpy())
                tag = f"variables/{variable.path}"
                if value.size == 1:
                    tf.summary.scalar(tag, float(value.reshape(())))
                elif self.histograms:
                    tf.summary.histogram(tag, value)


@LOGGERS.register("none", config=None)
class NoLogger(RunLogger):
    """Records nothing."""

    def __init__(self, log_dir: Path):
        super().__init__()


def _current_learning_rate(optimizer: keras.optimizers.Optimizer) -> float:
    # Keras resolves a schedule against the current iteration here.
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
