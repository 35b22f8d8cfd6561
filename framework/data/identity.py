"""What data a run trained on: each file's path, size, modification time and content hash.

A run records this next to its experiment fingerprint; a resume compares it
with the files as they are now and refuses data that changed since (unless
`allow_changed_data=true`), since continuing the checkpoints on other data
would no longer be the run they belong to.

Files up to WHOLE_HASH_BYTES are hashed whole (SHA-256 of every byte). A
larger file is hashed on a bounded sample: SAMPLE_BLOCKS blocks of
SAMPLE_BLOCK_BYTES spread evenly from its first to its last byte, with its
size, so recording a 20 GB file reads 64 MiB of it.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

WHOLE_HASH_BYTES = 256 * 2**20
SAMPLE_BLOCKS = 64
SAMPLE_BLOCK_BYTES = 2**20


def file_identity(path: Path) -> dict[str, Any]:
    """{"path", "bytes", "modified" (UTC, ISO 8601), "sha256", "hashed": "whole" or "sample"} of `path`."""
    path = Path(path).resolve()
    with path.open("rb") as file:
        stat = os.fstat(file.fileno())
        if stat.st_size <= WHOLE_HASH_BYTES:
            digest, hashed = hashlib.file_digest(file, "sha256").hexdigest(), "whole"
        else:
            digest, hashed = _sampled_digest(file, stat.st_size), "sample"
    modified = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc).isoformat()
    return {"path": str(path), "bytes": stat.st_size, "modified": modified, "sha256": digest, "hashed": hashed}


def data_identity(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """The identity of every file in `paths`, in order."""
    return [file_identity(path) for path in paths]


def identity_params(identity: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A flat summary for trackers' params: how many files, their bytes, and one digest over them all."""
    combined = hashlib.sha256("".join(entry["sha256"] for entry in identity).encode()).hexdigest()
    return {"files": len(identity), "bytes": sum(entry["bytes"] for entry in identity), "sha256": combined}


def changed_files(saved: Sequence[dict[str, Any]], current: Sequence[dict[str, Any]]) -> list[str]:
    """One line per file that differs between two identities, naming the file and what changed.

    A file hashed whole counts as changed when its content is (a new
    modification time alone is not a change); a file hashed on a sample also
    when its modification time is, since the sample may miss an edit.
    """
    before = {entry["path"]: entry for entry in saved}
    now = {entry["path"]: entry for entry in current}
    lines = []
    for path in sorted(set(before) | set(now)):
        old, new = before.get(path), now.get(path)
        if old is None or new is None:
            lines.append(f"  {path}: {'not read by the run' if old is None else 'no longer read by this config'}")
            continue
        differences = [
            f"{key} {old[key]} -> {new[key]}"
            for key in ("bytes", "sha256", "modified")
            if old[key] != new[key] and (key != "modified" or old["hashed"] == "sample")
        ]
        if differences:
            lines.append(f"  {path}: " + ", ".join(differences))
    return lines


def _sampled_digest(file, size: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    last_start = size - SAMPLE_BLOCK_BYTES
    for block in range(SAMPLE_BLOCKS):
        file.seek(math.floor(last_start * block / (SAMPLE_BLOCKS - 1)))
        digest.update(file.read(SAMPLE_BLOCK_BYTES))
    return digest.hexdigest()
