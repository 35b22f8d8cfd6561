"""Tables on disk read a block of rows at a time: CSV files and Parquet files, one or many shards.

`data.path` names a file, a directory (its files with the format's suffix)
or a glob of shards. A Parquet file's blocks are its row groups; a CSV file
is indexed once at start-up (one pass that notes where every BLOCK_ROWS-th
line starts, holding one chunk of the file at a time), so any block can then
be parsed on its own. Reading uses pyarrow; nothing holds more than a block.
"""

from __future__ import annotations

import collections
import glob
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from framework.data.extras import import_for
from framework.data.files import describe_path, resolve_path
from framework.errors import InputError

BLOCK_ROWS = 65536  # rows per block of a CSV file
_INDEX_CHUNK = 16 * 2**20  # bytes read at a time while indexing a CSV file
_OPEN_SHARDS = 8  # Parquet files kept open per reading thread (opening one reads its footer: ms a block)
SUFFIXES = {"csv": (".csv",), "parquet": (".parquet", ".pq")}
# pyarrow's words for a CSV cell that does not convert to the column's type (read from the first block)
_CHANGED_TYPE = re.compile(r"CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'")


@dataclass(frozen=True)
class Block:
    """Rows `num_rows` of shard `shard`: a Parquet row group, or a CSV byte range [start, stop)."""

    shard: int
    num_rows: int
    row_group: int = 0
    start: int = 0
    stop: int = 0


def shard_paths(value: str, format: str) -> list[Path]:
    """The files `data.path` names: a file, a directory's files with the format's suffix, or a glob's matches."""
    resolved = resolve_path(value)
    where = describe_path(resolved, value)
    if glob.has_magic(value):
        found = sorted(Path(path) for path in glob.glob(str(resolved)) if Path(path).is_file())
        if not found:
            raise InputError(f"data.path: the pattern {where} matches no file. Check the pattern; a relative one is relative to the directory you launched from.")
        return found
    if resolved.is_dir():
        found = sorted(path for path in resolved.iterdir() if path.suffix.lower() in SUFFIXES[format] and path.is_file())
        if not found:
            raise InputError(f"data.path: the directory {where} holds no {'/'.join(SUFFIXES[format])} file; expected the shards of one table.")
        return found
    if not resolved.is_file():
        raise InputError(f"data.path: no file at {where}. Check the path; a relative path is relative to the directory you launched from.")
    return [resolved]


class ShardedTable:
    """The blocks of one table split over `paths`, read by pyarrow a block at a time.

    Every shard must have the first one's columns (and, for Parquet, their types).
    """

    def __init__(self, paths: list[Path], format: str):
        self.pa = import_for("pyarrow", format)
        self.paths, self.format = paths, format
        self.sizes = [path.stat().st_size for path in paths]
        self._open = threading.local()  # each thread's open Parquet files: a file object is not shared between threads
        self.blocks: list[Block] = []
        self.columns: list[str] = []
        for shard, path in enumerate(paths):
            columns, blocks = (self._parquet_blocks if format == "parquet" else self._csv_blocks)(shard, path)
            if shard == 0:
                self.columns = columns
            elif columns != self.columns:
                raise InputError(
                    f"data.path: shard {path} has the columns {columns}, but the first shard {paths[0]} has {self.columns}; "
                    f"every shard of a table needs the same columns of the same types."
                )
            self.blocks.extend(blocks)
        if not self.blocks:
            raise InputError(f"data.path: {paths[0]} has a header but no rows; expected one row per example.")

    @property
    def num_rows(self) -> int:
        return sum(block.num_rows for block in self.blocks)

    def read(self, index: int, columns: list[str], types: dict | None = None):
        """Block `index`'s `columns` as a pyarrow Table (CSV cells converted to `types`)."""
        block = self.blocks[index]
        path = self.paths[block.shard]
        try:
            size = path.stat().st_size
            if size != self.sizes[block.shard]:
                raise InputError(f"data.path: {path} changed while training ({self.sizes[block.shard]} bytes at the start, {size} now); restore it and resume the run.")
            if self.format == "parquet":
                table = self._parquet_file(block.shard).read_row_group(block.row_group, columns=columns)
            else:
                table = self._read_csv(path, block, columns, types)
        except FileNotFoundError:
            raise InputError(f"data.path: {path} vanished while training; restore it and resume the run.") from None
        except (self.pa.ArrowInvalid, OSError) as error:
            changed = _CHANGED_TYPE.search(str(error)) if self.format == "csv" else None
            if changed:
                name = self._headers[block.shard].decode().strip().split(",")[int(changed[1])]
                raise InputError(
                    f"data.path: column {name!r} of {path} holds {changed[3]!r}, but the table's first block holds "
                    f"numbers ({changed[2]}) there; a column keeps one type in every shard and block. Fix those rows, or "
                    f"name the column in data.categorical to read its values as categories."
                ) from None
            raise InputError(f"data.path: {path} cannot be read ({str(error).strip()}); check the file.") from None
        if table.num_rows != block.num_rows:
            raise InputError(
                f"data.path: {path} has {table.num_rows} rows where its index found {block.num_rows} lines "
                f"(a blank line, or a line break inside a quoted cell, which streaming does not read); remove those."
            )
        return table

    def _parquet_file(self, shard: int):
        """Shard `shard` opened for this thread; the _OPEN_SHARDS most recently read stay open."""
        files = self._open.__dict__.setdefault("files", collections.OrderedDict())
        if shard not in files:
            files[shard] = self.pa.parquet.ParquetFile(self.paths[shard])
            while len(files) > _OPEN_SHARDS:
                files.popitem(last=False)
        files.move_to_end(shard)
        return files[shard]

    def _parquet_blocks(self, shard: int, path: Path) -> tuple[list[str], list[Block]]:
        import pyarrow.parquet  # noqa: F401  (makes self.pa.parquet available)

        try:
            file = self.pa.parquet.ParquetFile(path)
        except (self.pa.ArrowInvalid, OSError) as error:
            raise InputError(f"data.path: {path} is not a readable Parquet file ({str(error).strip()}).") from None
        schema = file.schema_arrow
        columns = [f"{field.name}: {field.type}" for field in schema]
        metadata = file.metadata
        blocks = [Block(shard, metadata.row_group(group).num_rows, row_group=group) for group in range(metadata.num_row_groups)]
        self._names = list(schema.names)
        return columns, [block for block in blocks if block.num_rows]

    def _csv_blocks(self, shard: int, path: Path) -> tuple[list[str], list[Block]]:
        """The header's columns, and a block per BLOCK_ROWS lines after it, by byte offset."""
        starts, offset = [], 0
        with path.open("rb") as file:
            header = file.readline()
            if not header.strip():
                raise InputError(f"data.path: {path} is empty; expected a header line naming the columns, then one row per example.")
            offset = len(header)
            starts.append(offset)
            while chunk := file.read(_INDEX_CHUNK):
                starts.extend((offset + np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10) + 1).tolist())
                offset += len(chunk)
        if starts[-1] != offset:
            starts.append(offset)  # a last line without a line break
        line_starts = np.asarray(starts)
        bounds = np.append(line_starts[:-1:BLOCK_ROWS], line_starts[-1])
        counts = np.diff(np.append(np.arange(0, len(line_starts) - 1, BLOCK_ROWS), len(line_starts) - 1))
        blocks = [Block(shard, int(count), start=int(start), stop=int(stop)) for count, start, stop in zip(counts, bounds[:-1], bounds[1:])]
        try:
            names = header.decode().strip().split(",")
        except UnicodeDecodeError:
            raise InputError(f"data.path: {path} is not UTF-8 text; save the CSV file as UTF-8.") from None
        self._headers = getattr(self, "_headers", {})
        self._headers[shard] = header
        return names, [block for block in blocks if block.num_rows]

    def _read_csv(self, path: Path, block: Block, columns: list[str], types: dict | None):
        import pyarrow.csv

        with path.open("rb") as file:
            file.seek(block.start)
            body = file.read(block.stop - block.start)
        options = pyarrow.csv.ConvertOptions(include_columns=columns, column_types=types or {})
        return pyarrow.csv.read_csv(io.BytesIO(self._headers[block.shard] + body), convert_options=options)

    def column_names(self) -> list[str]:
        return self._names if self.format == "parquet" else self.columns

