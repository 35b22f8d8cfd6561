"""Reads an offline W&B run back from its transaction log (`run-<id>.wandb`).

wandb 0.2x and later keep no Python reader of that file (its core, in Go, reads
it for `wandb sync`). The file is LevelDB's log format (32 KiB blocks of
checksummed, possibly split records) after a 7-byte W&B header; each record
is a `wandb_internal_pb2.Record`, W&B's own protobuf, parsed here with it.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wandb.proto import wandb_internal_pb2

_BLOCK = 32768
_RECORD_HEADER = 7  # crc32 (4), length (2), type (1)
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def records(path: Path) -> Iterator[wandb_internal_pb2.Record]:
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    position, pending = 7, b""
    while position + _RECORD_HEADER <= len(data):
        left_in_block = _BLOCK - position % _BLOCK
        _, length, kind = struct.unpack("<IHB", data[position : position + _RECORD_HEADER])
        if left_in_block < _RECORD_HEADER or (length == 0 and kind == 0):  # the block's padding
            position += left_in_block
            continue
        if position + _RECORD_HEADER + length > len(data):
            return  # a record still being written
        chunk = data[position + _RECORD_HEADER : position + _RECORD_HEADER + length]
        position += _RECORD_HEADER + length
        pending = chunk if kind in (_FULL, _FIRST) else pending + chunk
        if kind in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


@dataclass
class OfflineRun:
    """What an offline W&B run recorded."""

    run_id: str
    group: str
    config: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    artifacts: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (name, type, file paths)
    exit_code: int | None = None


def read_offline_run(run_folder: Path, timeout: float = 30.0) -> OfflineRun:
    """The run in `run_folder` (<wandb dir>/wandb/offline-run-<time>-<id>), once W&B has written
    its end: `finish()` returns before W&B's service process has written everything."""
    deadline = time.monotonic() + timeout
    while True:
        run = _read(run_folder)
        if (run is not None and run.exit_code is not None) or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def _read(run_folder: Path) -> OfflineRun | None:
    (log,) = run_folder.glob("run-*.wandb")
    run = None
    for record in records(log):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = OfflineRun(record.run.run_id, record.run.run_group)
            run.config = {item.key: json.loads(item.value_json) for item in record.run.config.update}
        elif kind == "config":
            run.config.update({item.key: json.loads(item.value_json) for item in record.config.update})
        elif kind == "history":
            run.history.append({_key(item): json.loads(item.value_json) for item in record.history.item})
        elif kind == "summary":
            run.summary.update({_key(item): json.loads(item.value_json) for item in record.summary.update})
        elif kind == "artifact":
            paths = [entry.path for entry in record.artifact.manifest.contents]
            run.artifacts.append((record.artifact.name, record.artifact.type, paths))
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


def offline_runs(wandb_dir: Path) -> list[Path]:
    """Every offline run folder under `wandb_dir`, oldest first."""
    return sorted((wandb_dir / "wandb").glob("offline-run-*"))


def _key(item) -> str:
    return item.key or "/".join(item.nested_key)
