"""Decoded blocks kept for the batches that need them, the next one decoded ahead on a thread.

Reading a block (pyarrow parsing a CSV range, a Parquet row group, a few
image files) mostly runs outside the GIL, so decoding the next block on a
background thread overlaps it with the training step that consumes the
current one. Memory stays bounded: `kept` decoded blocks at most, plus the
one being decoded.
"""

from __future__ import annotations

import collections
import concurrent.futures
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Decoded = TypeVar("Decoded")


class ReadAheadBlocks(Generic[Decoded]):
    """`get(key, ahead)`: the block `key` decodes to, decoding `ahead` next in the background.

    Args:
        decode: A key -> its decoded block (called on the reading thread).
        kept: Decoded blocks kept, the most recently asked for.
    """

    def __init__(self, decode: Callable[[Hashable], Decoded], kept: int):
        self._decode, self._kept = decode, kept
        self._blocks: collections.OrderedDict[Hashable, concurrent.futures.Future] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._reader: concurrent.futures.ThreadPoolExecutor | None = None  # started at the first read

    def get(self, key: Hashable, ahead: Hashable | None = None) -> Decoded:
        """Block `key` (waiting for it where it is being decoded); its errors are raised here."""
        with self._lock:
            wanted = self._submitted(key)
            self._blocks.move_to_end(key)
            if ahead is not None and ahead not in self._blocks:
                self._submitted(ahead)
                self._blocks.move_to_end(key)  # `ahead` goes first when room is needed
            while len(self._blocks) > self._kept:
                self._blocks.popitem(last=False)
        return wanted.result()

    def _submitted(self, key: Hashable) -> concurrent.futures.Future:
        if key not in self._blocks:
            if self._reader is None:
                self._reader = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="block-reader")
            self._blocks[key] = self._reader.submit(self._decode, key)
        return self._blocks[key]
