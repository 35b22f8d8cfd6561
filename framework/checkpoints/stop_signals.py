"""SIGTERM and SIGINT stop training at the next epoch boundary instead of killing it.

While training, the handlers only record the signal. Strategies ask
`requested()` where the model is whole: the tape strategy between graph calls
(a call runs up to `strategy.steps_per_call` steps, whole epochs, so that is
the longest wait), the fit strategy at the end of each epoch. Training then
ends normally, the checkpoint saver writes the final state, the logger
flushes, and the run raises TrainingInterrupted; the CLI exits with
128 + the signal number (143 for SIGTERM, 130 for SIGINT), as shells do.
A second signal of the same kind while waiting kills the process at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from framework.checkpoints.run_checkpoint import RunCheckpoint
from framework.errors import TrainingInterrupted
from framework.run_directory import RunDirectory

log = logging.getLogger("framework")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopOnSignal:
    """Context manager turning SIGTERM/SIGINT into a stop request while it is active.

    Signal handlers can only be installed from the main thread; elsewhere
    (a run started from a worker thread) signals keep their default effect.
    """

    def __init__(self):
        self.signal_number: int | None = None
        self._previous: dict[int, object] = {}

    def requested(self) -> bool:
        return self.signal_number is not None

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def raise_if_stopped(self, checkpoint: RunCheckpoint, run_dir: RunDirectory) -> None:
        """Raises TrainingInterrupted, naming the saved checkpoint and how to resume, if a signal stopped training."""
        if self.signal_number is None:
            return
        raise TrainingInterrupted(
            f"{signal.Signals(self.signal_number).name}: training stopped after epoch {checkpoint.saved_epoch - 1} "
            f"({checkpoint.saved_epoch} epochs done, step {checkpoint.global_step}); the checkpoint is saved. "
            f"Continue with: python -m framework.train resume={run_dir.path}",
            self.signal_number,
        )

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.signal_number == number:  # asked twice: stop waiting
            signal.signal(number, signal.SIG_DFL)
            signal.raise_signal(number)
        self.signal_number = number
        log.warning(
            "%s received: training stops at the end of the current epoch, after a checkpoint.",
            signal.Signals(number).name,
        )
