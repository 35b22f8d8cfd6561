"""TensorBoard event files written with the `tensorboard` package alone, on any backend.

The `tensorboard` package ships its own event-file writer and the summary
protos of its plugins, so scalars, histograms, images and HParams are
written here without TensorFlow, in the form TensorBoard's reader and
server read (the same tensors tf.summary writes). Values are host values:
Python numbers and NumPy arrays.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.plugins.hparams.summary_v2 import hparams_pb
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.summary.writer.record_writer import RecordWriter
from tensorboard.util import tensor_util

FILE_VERSION = "brain.Event:2"  # the version tf.summary writes; TensorBoard purges on restarts only in it


class EventFile:
    """One event file in `log_dir`; `suffix` tells its purpose apart in the file name."""

    def __init__(self, log_dir: str | Path, suffix: str = ""):
        self._writer = EventFileWriter(str(log_dir), filename_suffix=suffix)

    def scalar(self, tag: str, value: float, step: int) -> None:
        self._add(scalar_pb(tag, float(value)), step)

    def histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        self._add(histogram_pb(tag, np.asarray(values, dtype=np.float64).reshape(-1)), step)

    def image(self, tag: str, png: bytes, width: int, height: int, step: int) -> None:
        """A PNG image, as tf.summary.image stores one: [width, height, encoded image]."""
        tensor = tensor_util.make_tensor_proto([str(width).encode(), str(height).encode(), png])
        metadata = image_metadata.create_summary_metadata(display_name=tag, description="", converted_to_tensor=True)
        self._add(Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)]), step)

    def hparams(self, values: Mapping[str, bool | int | float | str]) -> None:
        self._add(hparams_pb(dict(values)), 0)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def _add(self, summary: Summary, step: int) -> None:
        self._writer.add_event(Event(wall_time=time.time(), step=int(step), summary=summary))


def mark_restart(log_dir: Path, step: int) -> Path | None:
    """Tells TensorBoard that a run continues after global step `step` (its checkpoint),
    so no curve has duplicated or rewound steps.

    A killed run may have written events after its last checkpoint; the
    resumed run writes those steps again. An event `SessionLog(status=START)`
    at step S makes TensorBoard's reader drop every event it has read with
    step >= S (its "orphaned data" purge, for event files of version 2). The
    reader takes the first START of a run as the run's beginning and purges
    at every later one, so the marker holds two STARTs at the same step.
    It must be read after the killed run's events and before the resumed
    run's, and TensorBoard reads the files of a directory in name order, so
    it goes in a file named after the newest one plus a suffix.

    Returns the marker file, or None if there were no events.
    """
    log_dir = Path(log_dir)
    existing = sorted(path.name for path in log_dir.glob("*tfevents*")) if log_dir.is_dir() else []
    if not existing:
        return None
    marker = log_dir / f"{existing[-1]}.restart-{step}.{socket.gethostname()}"
    wall_time = time.time()
    with open(marker, "wb") as file:
        records = RecordWriter(file)
        records.write(Event(wall_time=wall_time, file_version=FILE_VERSION).SerializeToString())
        start = Event(wall_time=wall_time, step=step + 1, session_log=SessionLog(status=SessionLog.START))
        for _ in range(2):
            records.write(start.SerializeToString())
    return marker
