"""Tables too large for memory, streamed: data=csv data.stream=true, and data=parquet.

A streamed source reads a block of rows when a batch needs it
(framework.data.streamed); nothing grows with the table. Columns are chosen
as data=csv chooses them; features are numbers, the target numbers or class
labels (whose names one pass over the target column collects at start-up).
"""

from __future__ import annotations

import numpy as np

from framework.data.arrays import ArrayData
from framework.data.categories import CategoricalColumn, Categories, as_text, categorical_modes, known_or_learned
from framework.data.csv_file import CsvData, CsvDataConfig, TableRows, _check_columns, check_numeric_targets
from framework.data.shards import ShardedTable, shard_paths
from framework.data.streamed import StreamedExamples, row_parts
from framework.data.streamed_source import StreamedDataSource
from framework.errors import ConfigError, InputError
from framework.registry import DATA


class TableDataConfig(CsvDataConfig):
    """Attributes:
    path: The CSV file; with stream=true also a directory of .csv shards or a
        glob of them (shards/*.csv). A relative path is relative to the directory you launched from.
    stream: Reads the file a block of rows at a time as training needs them
        (memory does not grow with the file) instead of holding every row.
    """

    stream: bool


class ParquetDataConfig(TableDataConfig):
    """Attributes:
    path: A Parquet file, a directory of .parquet shards, or a glob of them
        (shards/*.parquet); relative paths are relative to the directory you launched from.
    """


class StreamedTableData(StreamedDataSource):
    """Float32 features [N, features] (a categorical column's codes in its place, described by
    `categories`); float32 targets [N, targets], or int32 class ids [N] (names sorted, in
    `class_names`), read a block at a time from `format` files."""

    def __init__(self, path, target, features, target_type, categorical, categorical_encoding, embedding_dim, hash_bins,
                 format, num_examples, batch_size, val_fraction, test_fraction, shuffle, seed, normalize, known_categories=None):
        if num_examples is not None:
            raise ConfigError(f"data.num_examples={num_examples} takes a random subset of rows held in memory; "
                              f"with data.stream=true set it to null (every row), or write a smaller file.")
        paths = shard_paths(path, format)
        table = ShardedTable(paths, format)
        targets = [target] if isinstance(target, str) else list(target)
        features = _columns(table.column_names(), targets, features, categorical, str(paths[0]))
        self.feature_names = tuple(features)
        self.data_files = tuple(paths)
        first = table.read(0, features + targets)  # the first block's types, as pyarrow infers them
        modes = categorical_modes(features, lambda name: not _numeric(first.column(name).type), categorical, targets)
        classify = target_type == "classification" or (
            target_type == "auto" and not all(_numeric(first.column(name).type) for name in targets)
        )
        if target_type == "regression":
            check_numeric_targets(targets, lambda name: _numeric(first.column(name).type), lambda name: first.column(name)[0].as_py(), str(paths[0]))
        if classify and len(targets) > 1:
            raise ConfigError(f"data.target={target!r}: class labels work with one target column; name one column.")
        types = {name: table.pa.float64() for name in features + ([] if classify else targets) if name not in modes}
        # Text stays text in every block ("01234" keeps its zero); integer codes are read as pyarrow infers them.
        types.update({name: table.pa.string() for name in modes if not _numeric(first.column(name).type)})
        _check_shard_types(table, features + targets, types)
        labels = _labels(table, targets[0], table.pa) if classify else None
        self.class_names = None if labels is None else tuple(str(label) for label in labels)
        columns = _categories(table, modes, features, types, known_categories, hash_bins, seed, (val_fraction, test_fraction))
        self.categories = Categories(columns, categorical_encoding, embedding_dim) if columns else None
        storage = StreamedExamples(table, features + targets, types, _converter(features, targets, labels, columns, paths),
                                   val_fraction, test_fraction, batch_size, seed)
        if storage.num_train < 1:
            raise ConfigError(f"data: val_fraction={val_fraction} and test_fraction={test_fraction} leave no training rows "
                              f"out of {table.num_rows}; lower them or use more rows.")
        super().__init__(storage, shuffle=shuffle, seed=seed, normalize=normalize)


def _columns(names: list[str], targets: list[str], features: list[str] | None, categorical: dict | None, where: str) -> list[str]:
    for key, chosen in (("data.target", targets), ("data.features", features or []), ("data.categorical", list(categorical or {}))):
        _check_columns(key, chosen, names, where)
    features = [name for name in names if name not in targets] if features is None else list(features)
    if set(features) & set(targets):
        raise ConfigError(f"data.features names the target column(s) {sorted(set(features) & set(targets))}; a column is either a feature or a target.")
    if not features:
        raise InputError(f"data.path: {where} has no column besides the target(s) {targets}; add columns for the inputs.")
    return features


def _numeric(arrow_type) -> bool:
    import pyarrow

    return pyarrow.types.is_integer(arrow_type) or pyarrow.types.is_floating(arrow_type)


def _labels(table: ShardedTable, target: str, pa) -> np.ndarray:
    """The sorted class labels of the target column: one pass over that column alone."""
    seen: set = set()
    for index in range(len(table.blocks)):
        values = table.read(index, [target]).column(target).to_numpy(zero_copy_only=False)
        seen.update(np.unique(values).tolist())
    labels = np.asarray(sorted(seen))
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise InputError(f"data.target: column {target!r} holds numbers that are not whole, so they are no class labels; "
                             f"use data.target_type=regression.")
        labels = labels.astype(np.int64)
    return labels


def _check_shard_types(table: ShardedTable, columns: list[str], types: dict) -> None:
    """Each CSV shard's first block read with the first block's column types, at start-up: a column
    that holds numbers in the first shard and text in a later one is refused before training."""
    if table.format != "csv":
        return  # a Parquet file states its types, compared between shards by ShardedTable
    firsts = {block.shard: index for index, block in reversed(list(enumerate(table.blocks)))}
    for shard, index in sorted(firsts.items())[1:]:
        table.read(index, columns, types)


def _categories(table: ShardedTable, modes: dict, features: list[str], types: dict, known: dict | None, hash_bins: int,
                seed: int, fractions: tuple[float, float]) -> tuple[CategoricalColumn, ...]:
    """The categorical columns; lookup vocabularies (other than `known` ones) learned in one streaming
    pass over those columns alone, from the training rows only (those the seeded split makes training rows)."""
    lookups = [name for name, mode in modes.items() if mode == "lookup" and name not in (known or {})]
    chunks: dict[str, list] = {name: [] for name in lookups}
    for index, block in enumerate(table.blocks if lookups else ()):
        training = row_parts(block.num_rows, seed, index, *fractions) == 0
        read = table.read(index, lookups, {name: types[name] for name in lookups if name in types})
        for name in lookups:
            chunks[name].append(np.unique(as_text(_category_values(read, name, table.paths[block.shard]))[training]))
    return known_or_learned(modes, features, known, lambda name, position, mode: CategoricalColumn.learned(
        name, position, mode, chunks.get(name, []), hash_bins))


def _converter(features: list[str], targets: list[str], labels: np.ndarray | None, categories, paths):
    """A block's table -> (x float32, y): float32 [rows, targets], or int32 class ids."""
    by_name = {column.name: column for column in categories}

    def convert(block):
        x = np.column_stack([
            by_name[name].codes(_category_values(block, name, paths[0])) if name in by_name else _floats(block, name, paths)
            for name in features
        ])
        if labels is None:
            return x, np.column_stack([_floats(block, name, paths) for name in targets])
        values = block.column(targets[0]).to_numpy(zero_copy_only=False)
        if labels.dtype.kind in "iu":
            values = values.astype(np.int64)
        return x, np.searchsorted(labels, values).astype(np.int32)

    return convert


def _category_values(block, name: str, where) -> np.ndarray:
    column = block.column(name)
    if column.null_count:
        raise InputError(f"data.path: column {name!r} of {where} (or a later shard) has empty cells; fill in or remove those rows.")
    return column.to_numpy(zero_copy_only=False)


def _floats(block, name: str, paths) -> np.ndarray:
    column = block.column(name)
    if not _numeric(column.type):
        raise InputError(f"data.features: column {name!r} of {paths[0]} holds {column.type} values, not numbers; leave it out of data.features.")
    values = column.to_numpy(zero_copy_only=False).astype(np.float32)
    if not np.isfinite(values).all():
        raise InputError(f"data.path: column {name!r} of {paths[0]} (or a later shard) has empty, NaN or infinite cells; fill in or remove those rows.")
    return values


@DATA.register("csv", config=TableDataConfig)
def csv(*, stream: bool, **arguments):
    """data=csv: rows held in memory (CsvData), or streamed with data.stream=true."""
    if stream:
        return StreamedTableData(format="csv", **arguments)
    return CsvData(**arguments)


@DATA.register("parquet", config=ParquetDataConfig)
def parquet(*, stream: bool, **arguments):
    """data=parquet: Parquet shards streamed (data.stream=true) or read whole into memory."""
    data = StreamedTableData(format="parquet", **{**arguments, "num_examples": None, "shuffle": arguments["shuffle"]})
    if stream:
        return data
    return _held(data, arguments)


def _held(data: StreamedTableData, arguments: dict) -> ArrayData:
    """Every row of a streamed table in memory, split by the seeded shuffle of data=csv (with
    categorical columns, as data=csv reads its rows: categories learned from that split's training rows)."""
    if data.categories is not None:
        storage = data.storage
        rows = storage.table.pa.concat_tables([storage.table.read(i, storage.columns) for i in range(len(storage.table.blocks))])
        held = TableRows(rows.to_pandas(), str(data.data_files[0]), **{key: value for key, value in arguments.items() if key != "path"})
        held.data_files = data.data_files
        return held
    blocks = [data.storage.convert(data.storage.table.read(i, data.storage.columns, data.storage.types))
              for i in range(len(data.storage.table.blocks))]
    x, y = (np.concatenate(parts) for parts in zip(*blocks))
    common = {key: arguments[key] for key in ("num_examples", "batch_size", "val_fraction", "test_fraction", "shuffle", "seed", "normalize")}
    held = ArrayData(x, y, class_names=data.class_names, **common)
    held.feature_names, held.data_files = data.feature_names, data.data_files
    return held

