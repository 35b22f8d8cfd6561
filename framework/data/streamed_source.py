"""What every data source streamed a block at a time shares: the epoch order, and the normalizer's pass."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from framework.data.random_numbers import permutation
from framework.data.source import DataSource


class StreamedDataSource(DataSource):
    """A DataSource over StreamedExamples: an epoch orders the blocks, and each block's rows
    are permuted by (seed, epoch, block) when read (framework.data.streamed)."""

    def epoch_order(self, epoch: int) -> np.ndarray | None:
        """The epoch number, then the epoch's permutation of blocks (the rows inside each
        block are permuted by (seed, epoch, block) when read); None when not shuffling."""
        if not self.shuffle:
            return None
        blocks = self.storage.num_units - 1
        return np.concatenate([[epoch], permutation(blocks, (self.seed, epoch))]).astype(np.int64)

    def normalizer_chunks(self) -> Iterator[np.ndarray]:
        return (x for x, _ in self.storage.part_blocks("train"))
