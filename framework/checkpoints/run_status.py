"""Marks a run directory whose run failed, so nothing half-written passes for a result.

A failed run leaves a `FAILED` file holding the error; a finished run has
`summary.json` and `model.keras` instead. A run stopped by a signal is
neither: it has a checkpoint and can be resumed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from framework.errors import TrainingInterrupted

log = logging.getLogger("framework")

FAILED_MARKER = "FAILED"


@contextlib.contextmanager
def marking_failure(run_dir: Path) -> Iterator[None]:
    """Writes `run_dir/FAILED` with the error if the block raises (and re-raises it);
    clears an old marker when the block starts, since the run is being tried again."""
    marker = Path(run_dir) / FAILED_MARKER
    marker.unlink(missing_ok=True)
    try:
        yield
    except TrainingInterrupted:
        raise
    except Exception as error:  # any failure, bug or user error, leaves a marked run
        with contextlib.suppress(OSError):  # an unwritable run dir cannot be marked
            marker.write_text(f"{type(error).__name__}: {error}\n")
        raise


def failure_of(run_dir: Path) -> str | None:
    """The recorded error of a failed run, or None."""
    marker = Path(run_dir) / FAILED_MARKER
    return marker.read_text().strip() if marker.is_file() else None
