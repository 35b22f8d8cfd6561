"""Notices when TensorBoard events can no longer be written, and says so once.

TensorFlow's summary writer does not raise when its events file disappears
or its directory stops being writable: it drops events silently. Training
must go on (the checkpoints are what resuming needs), but the user should
know the curves stop, so this callback checks the log directory after an
epoch, at most once a second (epochs of small models take microseconds),
and warns once. It reads only the file system, never the model, so the tape
strategy needs no extra graph-call boundary for it.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from framework.strategies.live_model import EpochCallback

log = logging.getLogger("framework")

_CHECK_SECONDS = 1.0


class LogDirectoryWatch(EpochCallback):
    """Warns once if `log_dir`, present when training began, loses its events or write access."""

    reads_live_model = False

    def __init__(self, log_dir: Path):
        super().__init__()
        self.log_dir = Path(log_dir)
        self._watching = False
        self._last_check = 0.0
        self.reported = False

    replayed_every_epoch = False  # checks at most once a second anyway

    def on_train_begin(self, logs=None):
        self._watching = self.log_dir.is_dir()  # no directory: the run logs no events

    def on_epoch_end(self, epoch, logs=None):
        if time.monotonic() - self._last_check >= _CHECK_SECONDS:
            self._check(f"around epoch {epoch}")

    def on_train_end(self, logs=None):
        self._check("before the end of training")  # a run shorter than a second is checked too

    def _check(self, when: str) -> None:
        if not self._watching or self.reported:
            return
        self._last_check = time.monotonic()
        problem = self._problem()
        if problem:
            self.reported = True
            log.warning(
                "TensorBoard events cannot be written any more: %s. Training goes on and checkpoints "
                "are still saved; the curves stop %s. Restore the directory (or its "
                "permissions) and resume the run to log again.",
                problem,
                when,
            )

    def _problem(self) -> str | None:
        if not self.log_dir.is_dir():
            return f"{self.log_dir} was removed"
        if not os.access(self.log_dir, os.W_OK):
            return f"{self.log_dir} is not writable"
        if not any(self.log_dir.glob("*tfevents*")):
            return f"the events files in {self.log_dir} were removed"
        return None
