"""The seam: what a Keras backend provides to the framework, one field per concern.

| concern | TensorFlow | JAX |
| --- | --- | --- |
| the hand-written loop's compiled epochs | tf.function, tf.while_loop, GradientTape | jax.jit, lax.while_loop, value_and_grad, stateless_apply |
| `fit`'s inputs | one tf.data pipeline over every epoch | a generator over every epoch; a PyDataset for validation |
| logger records from a loop | in the graph (tf.summary, tf.py_function) | on the host, after each call |
| run_eagerly | tf.config.run_functions_eagerly | jax.disable_jit |
| profiler | tf.profiler | jax.profiler |
| write errors | OSError, tf.errors.OpError | OSError |
| devices | tf.config | jax.devices |

Checkpoints (NumPy arrays in an .npz), data sources (NumPy batches), plots
and reports are the same code on every backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import keras

    from framework.backends.job import TrainingJob
    from framework.distribution.base import LocalDevices


class EpochLoop(Protocol):
    """The hand-written loop's compiled epochs for one job."""

    calls: int  # compiled calls so far

    @property
    def tracing_count(self) -> int:
        """How often the compiled function was traced (once per run)."""

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The training metrics; between calls their variables hold the running epoch's values."""

    def run(
        self, first_epoch: int, num_epochs: int, start_step: int = 0, end_step: int | None = None,
        start_loss: tuple[float, float] = (0.0, 0.0),
    ) -> tuple[dict[str, list[float]], dict[str, list[float]], bool]:
        """Trains epochs [first_epoch, first_epoch + num_epochs) in one call: the first from its
        step `start_step` (its loss so far summed over the examples seen and their count in
        `start_loss`, its metrics as the last call left them), the last up to step `end_step`
        (None: its end). An epoch the call ends inside is not validated or recorded.

        Returns:
            (logs, recorded, finite): per-epoch columns of the epoch logs (in
            the order fit logs them) and of what the run's records keep (the
            learning rate, scalar variables), the last one the running values
            of an epoch the call ended inside; `finite` is False when a loss
            stopped being finite, in which case the last epoch in the columns
            is the one it happened in and training stopped right after that step.
        """


@dataclass(frozen=True)
class FitInputs:
    """What `model.fit` trains on: `x` spans the epochs asked for, `steps_per_epoch` at a time."""

    x: Any
    validation_data: Any
    steps_per_epoch: int


@dataclass(frozen=True)
class Backend:
    """Attributes:
    name: The Keras backend's name (KERAS_BACKEND).
    always_compiles: Whether every step is compiled (with XLA) whatever
        `jit_compile` says: on JAX an uncompiled step runs op by op, far slower.
    epoch_loop: (job, jit_compile) -> the hand-written loop's EpochLoop.
    records_end_calls: Whether the hand-written loop must end a call at each
        logger record: a backend that writes records from the host sees the
        variables only between calls.
    fit_inputs: (job, first_epoch, first_step, stop_epoch) -> FitInputs: the batches of
        epochs [first_epoch, stop_epoch), the first one from its step `first_step`.
    evaluation_input: An extra validation set's batches (framework.data.validation_sets.SetBatches)
        -> what `evaluate` reads them from best, built once a run.
    logger_callback: job -> the Keras callback that hands `fit`'s epochs to
        the run's logger and records; it has `write_pending()` (called when
        training fails) and `loop_stats()`.
    write_errors: What writing a run's outputs raises when the disk is full or failing.
    run_functions_eagerly: Makes compiled steps run eagerly (run_eagerly=true), so breakpoints stop inside.
    start_profiler, stop_profiler: A trace into a directory TensorBoard's Profile tab reads.
    select_devices: `device` (auto, cpu, gpu) -> LocalDevices, applied before the backend's first op.
    log_variable_placement: Logs where a built model's variables live (train.log).
    set_random_seed: Seeds Python, NumPy and Keras's random state for a run.
    """

    name: str
    always_compiles: bool
    epoch_loop: Callable[[TrainingJob, bool], EpochLoop]
    records_end_calls: bool
    fit_inputs: Callable[[TrainingJob, int, int, int], FitInputs]
    evaluation_input: Callable[[Any], Any]
    logger_callback: Callable[[TrainingJob], keras.callbacks.Callback]
    write_errors: tuple[type[BaseException], ...]
    run_functions_eagerly: Callable[[bool], None]
    start_profiler: Callable[[str], None]
    stop_profiler: Callable[[], None]
    select_devices: Callable[[str], LocalDevices]
    log_variable_placement: Callable[[keras.Model], None]
    set_random_seed: Callable[[int], None]
