"""Tells TensorBoard that a run restarted from a checkpoint, so no curve has
duplicated or rewound steps.

A killed run may have written events after its last checkpoint; the resumed
run writes those steps again. TensorBoard's own mechanism handles this: an
event `SessionLog(status=START)` at step S makes its reader drop every event
it has read with step >= S (EventAccumulator's "orphaned data" purge, for
event files of version 2, which tf.summary writes). The reader takes the
first START of a run as the run's beginning and purges at every later one;
tf.summary writes none, so each restart marker holds two STARTs at the same
step (the second purges; repeating a purge at one step changes nothing).

The marker must be read after the killed run's events and before the resumed
run's, and TensorBoard reads the event files of a directory in name order, so
it goes in a file named after the newest existing one plus a suffix, which
sorts right after it (the resumed run's writer names its file by a later time).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import tensorflow as tf
from tensorboard.compat.proto.event_pb2 import Event, SessionLog

_FILE_VERSION = "brain.Event:2"  # the version tf.summary writes; enables START purging


def mark_restart(log_dir: Path, step: int) -> Path | None:
    """Records that the run continues after global step `step` (its checkpoint).

    Events with a larger step written before the restart are discarded by
    TensorBoard. Returns the marker file, or None if there were no events.
    """
    log_dir = Path(log_dir)
    existing = sorted(path.name for path in log_dir.glob("*tfevents*")) if log_dir.is_dir() else []
    if not existing:
        return None
    marker = log_dir / f"{existing[-1]}.restart-{step}.{socket.gethostname()}"
    wall_time = time.time()
    with tf.io.TFRecordWriter(str(marker)) as writer:
        writer.write(Event(wall_time=wall_time, file_version=_FILE_VERSION).SerializeToString())
        start = Event(wall_time=wall_time, step=step + 1, session_log=SessionLog(status=SessionLog.START))
        for _ in range(2):
            writer.write(start.SerializeToString())
    return marker
