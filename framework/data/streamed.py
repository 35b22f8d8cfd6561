"""Examples read from disk as training needs them: a table's blocks, never the whole table.

The split is seeded per row: each row draws a uniform number from
(seed, its block) and goes to validation below val_fraction, to test below
val_fraction + test_fraction, else to training. So the parts are disjoint,
fixed by the seed, and counted at start-up without reading a row.

An epoch is shuffled in two levels: the order of the blocks is a seeded
permutation drawn from (seed, epoch), and the training rows inside each
block are permuted by (seed, epoch, block). A row therefore moves anywhere
in the epoch's block order, but stays next to the rows of its own block (a
Parquet row group, or BLOCK_ROWS lines of a CSV file). Validation and test
rows come in file order. Every batch is a pure function of (seed, epoch,
step), so a resumed run reads exactly the batches of an uninterrupted one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np

from framework.data.random_numbers import permutation
from framework.data.read_ahead import ReadAheadBlocks
from framework.data.shards import ShardedTable
from framework.data.storage import PARTS, ExampleStorage
from framework.errors import FrameworkError

# (pyarrow table of one block) -> (x float32 [rows, features], y)
Converter = Callable[[object], tuple[np.ndarray, np.ndarray]]

_KEPT_BLOCKS = 3  # decoded blocks kept: the one being read, the next (read ahead), and one to spare


def row_parts(num_rows: int, seed: int, block: int, val_fraction: float, test_fraction: float) -> np.ndarray:
    """Each row's part in a block of `num_rows`: 0 training, 1 validation, 2 test."""
    draws = np.random.Generator(np.random.Philox(key=[seed % 2**64, 2**32 + block])).random(num_rows)
    parts = np.zeros(num_rows, np.int8)
    parts[draws < val_fraction] = 1
    parts[(draws >= val_fraction) & (draws < val_fraction + test_fraction)] = 2
    return parts


class StreamedExamples(ExampleStorage):
    """Training, validation and test rows of a ShardedTable, read a block at a time.

    Args:
        table: The table's blocks.
        columns: The columns read (features and targets); `types` their CSV types.
        convert: A block's table -> (x, y) arrays.
    """

    def __init__(self, table: ShardedTable, columns: list[str], types: dict, convert: Converter,
                 val_fraction: float, test_fraction: float, batch_size: int, seed: int):
        self.table, self.columns, self.types, self.convert = table, columns, types, convert
        self.seed, self.fractions = seed, (val_fraction, test_fraction)
        counts = np.zeros((len(table.blocks), len(PARTS)), np.int64)
        for index, block in enumerate(table.blocks):
            counts[index] = np.bincount(self._parts_of(index), minlength=len(PARTS))
        self.counts = counts
        super().__init__(*(int(total) for total in counts.sum(axis=0)), batch_size)
        self._blocks = ReadAheadBlocks(self._decoded, _KEPT_BLOCKS)
        self.failure: FrameworkError | None = None  # the error a read raised inside a backend's pipeline

    @property
    def num_units(self) -> int:
        """The epoch number, then the permuted blocks (see StreamedDataSource.epoch_order)."""
        return 1 + len(self.table.blocks)

    def train_batch(self, order, step):
        if order is None:
            epoch, blocks = None, np.arange(len(self.table.blocks))
        else:
            epoch, blocks = int(order[0]), np.asarray(order[1:], np.int64)
        return self._slice(0, blocks, epoch, step)

    def held_out_batch(self, part, step):
        return self._slice(PARTS.index(part), np.arange(len(self.table.blocks)), None, step)

    @property
    def num_blocks(self) -> int:
        return len(self.table.blocks)

    def train_block(self, order: np.ndarray | None, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The training rows of the block at `position` of an epoch ordered by `order`, in that
        epoch's row order: the epoch's batches are these blocks' rows, one block after another."""
        if order is None:
            return self._rows(np.arange(self.num_blocks), position, 0, None)
        return self._rows(np.asarray(order[1:], np.int64), position, 0, int(order[0]))

    def held_out_block(self, part: str, position: int) -> tuple[np.ndarray, np.ndarray]:
        """Block `position`'s rows of the "validation" or "test" part, in file order."""
        return self._rows(np.arange(self.num_blocks), position, PARTS.index(part), None)

    def part_blocks(self, part: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every block's rows of `part`, in file order: (x, y) per block with any."""
        column = PARTS.index(part)
        blocks = np.flatnonzero(self.counts[:, column])
        for position in range(len(blocks)):
            yield self._rows(blocks, position, column, None)

    def _slice(self, column: int, blocks: np.ndarray, epoch: int | None, step: int):
        """Rows [step * batch_size, ...) of part `column` with its blocks in the order `blocks`."""
        ends = np.cumsum(self.counts[blocks, column])
        start = step * self.batch_size
        stop = min(start + self.batch_size, int(ends[-1]))
        pieces, position = [], int(np.searchsorted(ends, start, side="right"))
        while start < stop:
            first_row = int(ends[position] - self.counts[blocks[position], column])
            x, y = self._rows(blocks, position, column, epoch)
            take = slice(start - first_row, min(stop, int(ends[position])) - first_row)
            pieces.append((x[take], y[take]))
            start, position = first_row + take.stop, position + 1
        if len(pieces) == 1:
            return pieces[0]
        return tuple(np.concatenate(arrays) for arrays in zip(*pieces))

    def _rows(self, blocks: np.ndarray, position: int, column: int, epoch: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Part `column`'s rows of block `blocks[position]`, permuted by (seed, epoch, block) unless
        `epoch` is None; the block after it in `blocks` is read ahead."""
        ahead = (int(blocks[position + 1]), column, epoch) if position + 1 < len(blocks) else None
        try:
            return self._blocks.get((int(blocks[position]), column, epoch), ahead)
        except FrameworkError as error:
            self.failure = error
            raise

    def _decoded(self, key: tuple[int, int, int | None]) -> tuple[np.ndarray, np.ndarray]:
        block, column, epoch = key
        x, y = self.convert(self.table.read(block, self.columns, self.types))
        mask = self._parts_of(block) == column
        x, y = x[mask], y[mask]
        if epoch is not None:
            order = permutation(len(x), (self.seed, 2**20 * (epoch + 1) + block))
            x, y = np.take(x, order, axis=0), np.take(y, order, axis=0)
        return x, y

    def _parts_of(self, block: int) -> np.ndarray:
        return row_parts(self.table.blocks[block].num_rows, self.seed, block, *self.fractions)


@contextlib.contextmanager
def reraising_data_errors(data):
    """Raises the data source's own error (a file that vanished or changed while training)
    where a backend reports it as its own (TensorFlow wraps errors raised inside
    tf.numpy_function in an UnknownError)."""
    try:
        yield
    except Exception:
        failure = getattr(data.storage, "failure", None)
        if failure is None:
            raise
        data.storage.failure = None
        raise failure from None
