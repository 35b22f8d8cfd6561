"""profile.epochs=N (debug=profile): a profiler trace of N epochs (TensorFlow's or JAX's profiler).

The trace goes where TensorBoard's Profile tab looks for it: under the run's
TensorBoard directory (<events>/plugins/profile/<session>/), so
`tensorboard --logdir <run dir>` shows it beside the curves. The first epoch
of a process is left out when the run has more epochs than N: it traces and
compiles the graph, which would hide the steady state the trace is for.
"""

from __future__ import annotations

from pathlib import Path

from framework.backends import selected
from framework.callbacks.scheduled import EpochCallback
from framework.schedules import At


class ProfilerTrace(EpochCallback):
    """Profiles epochs `[start, start + epochs)`: it starts the profiler at the end of the
    epoch before (or when training begins) and stops it at the end of the last."""

    def __init__(self, log_dir: Path, epochs: int, initial_epoch: int, total_epochs: int):
        super().__init__()
        self.log_dir = log_dir
        self.initial_epoch = initial_epoch
        self.start = initial_epoch + (1 if total_epochs - initial_epoch > epochs else 0)
        self.stop = min(self.start + epochs, total_epochs)
        self._tracing = False
        # The hand-written loop ends a call at these epochs, so the trace holds whole calls.
        self.acts_on = self.model_at_epoch_end = At(self.start - 1, self.stop - 1)

    def on_train_begin(self, logs=None):
        if self.start == self.initial_epoch:
            self._begin()

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.start - 1:
            self._begin()
        if epoch == self.stop - 1:
            self._end()

    def on_train_end(self, logs=None):
        self._end()  # training stopped early

    def _begin(self) -> None:
        selected().start_profiler(str(self.log_dir))
        self._tracing = True

    def _end(self) -> None:
        if self._tracing:
            selected().stop_profiler()
            self._tracing = False
