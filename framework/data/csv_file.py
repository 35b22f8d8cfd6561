"""Examples from a CSV file: one row per example, a header naming the columns."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pydantic

from framework.data.arrays import ArrayData, ArrayDataConfig, encode_classes, split_order
from framework.data.categories import CategoricalColumn, Categories, Encoding, Mode, categorical_modes, known_or_learned
from framework.data.extras import import_for
from framework.data.files import (
    CELLS_NAMED,
    Given,
    describe_path,
    listed_cells,
    resolve_path,
)
from framework.errors import ConfigError, InputError


class CsvDataConfig(ArrayDataConfig):
    """Attributes:
    path: The CSV file; a relative path is relative to the directory you launched from.
    target: The column to predict, or a list of columns for several outputs.
    features: The input columns; null uses every column that is not a target.
    target_type: auto (class names when the target holds text, regression when
        it holds numbers), regression, or classification (numbers as class labels too).
    categorical: Feature columns read as categories, each lookup (a vocabulary
        learned from the training rows; unseen values share code 0) or hashing
        (hash_bins codes): {city: lookup, zip: hashing}. Feature columns holding
        text are lookup columns without being named; null names none.
    categorical_encoding: How the model takes a categorical column: one_hot
        (a vector as long as its codes) or embedding (a trained vector of embedding_dim).
    embedding_dim: The length of each categorical column's embedding (categorical_encoding=embedding).
    hash_bins: The codes of a hashing column.
    """

    path: Given
    target: Given | Annotated[list[str], pydantic.Field(min_length=1)]
    features: Annotated[list[str], pydantic.Field(min_length=1)] | None
    target_type: Literal["auto", "regression", "classification"]
    categorical: dict[str, Mode] | None
    categorical_encoding: Encoding
    embedding_dim: Annotated[int, pydantic.Field(ge=1)]
    hash_bins: Annotated[int, pydantic.Field(ge=1)]


class TableRows(ArrayData):
    """The rows of a table held in memory (a pandas DataFrame), columns chosen by name.

    Float32 features [N, features] (a categorical column's codes in its place, described by
    `categories`); float32 targets [N, targets], or int32 class ids [N] for class-name targets
    (names sorted, in `class_names`). `where` names the table in messages; `known_categories`
    are a trained model's columns, whose vocabularies are used instead of learning them.
    """

    def __init__(self, table, where: str, target: str | list[str], features: list[str] | None, target_type: str,
                 categorical: dict[str, str] | None, categorical_encoding: str, embedding_dim: int, hash_bins: int,
                 known_categories: dict[str, CategoricalColumn] | None = None, **common):
        targets = [target] if isinstance(target, str) else list(target)
        features = _feature_columns(table, targets, features, categorical, where)
        self.feature_names = tuple(str(name) for name in features)
        _check_cells(table[features + targets], where)
        modes = categorical_modes(features, lambda name: not _is_numeric(table[name]), categorical, targets)
        rows = _training_rows(len(table), common)
        columns = known_or_learned(modes, features, known_categories, lambda name, position, mode: CategoricalColumn.learned(
            name, position, mode, [table[name].to_numpy()[rows]], hash_bins))
        self.categories = Categories(columns, categorical_encoding, embedding_dim) if columns else None
        x = _numbers(table[features].assign(**{column.name: column.codes(table[column.name].to_numpy()) for column in columns}),
                     "data.features", where)
        class_names = None
        classify = target_type == "classification" or (
            target_type == "auto" and not all(_is_numeric(table[name]) for name in targets)
        )
        if target_type == "regression":
            check_numeric_targets(targets, lambda name: _is_numeric(table[name]), lambda name: table[name].iloc[0], where)
        if classify:
            if len(targets) > 1:
                raise ConfigError(
                    f"data.target={target!r}: class labels work with one target column; "
                    f"name one column, or use numeric targets with data.target_type=regression."
                )
            y, class_names = encode_classes(table[targets[0]].to_numpy(), f"data.target: column {targets[0]!r} of {where}")
        else:
            y = _numbers(table[targets], "data.target", where)
        super().__init__(x, y, class_names=class_names, **common)


class CsvData(TableRows):
    """A CSV file's rows, held in memory (TableRows)."""

    def __init__(self, path: str, **arguments):
        resolved = resolve_path(path)
        where = describe_path(resolved, path)
        self.data_files = (resolved,)
        super().__init__(_read(resolved, where), where, **arguments)


def _training_rows(num_rows: int, common: dict) -> np.ndarray:
    """The rows ArrayData will train on, so categories are learned from them alone."""
    order, num_train, _ = split_order(num_rows, *(common[key] for key in ("num_examples", "val_fraction", "test_fraction", "seed")))
    return order[:num_train]


def check_numeric_targets(targets: list[str], is_numeric, example, where: str) -> None:
    """data.target_type=regression predicts numbers: a target column of text is refused."""
    for name in targets:
        if not is_numeric(name):
            raise InputError(
                f"data.target_type=regression, but the target column {name!r} of {where} holds text (e.g. {example(name)!r}); "
                f"regression predicts numbers. Use data.target_type=auto or classification to predict its values as "
                f"classes, or choose a numeric target column."
            )


def _read(path: Path, where: str):
    pandas = import_for("pandas", "csv")
    if not path.is_file():
        raise InputError(f"data.path: no CSV file at {where}. Check the path; a relative path is relative to the directory you launched from.")
    try:
        table = pandas.read_csv(path)
    except pandas.errors.EmptyDataError:
        raise InputError(f"data.path: {where} is empty; expected a header line naming the columns, then one row per example.") from None
    except UnicodeDecodeError:
        raise InputError(f"data.path: {where} is not UTF-8 text; save the CSV file as UTF-8.") from None
    except pandas.errors.ParserError as error:
        raise InputError(
            f"data.path: {where} is not a well-formed CSV file ({str(error).strip()}); "
            f"every row must have as many comma-separated fields as the header."
        ) from None
    if table.empty:
        raise InputError(f"data.path: {where} has a header but no rows; expected one row per example.")
    return table


def _feature_columns(table, targets: list[str], features: list[str] | None, categorical: dict | None, where: str) -> list[str]:
    """The input columns: those named, or every column that is not a target."""
    for key, names in (("data.target", targets), ("data.features", features or []), ("data.categorical", list(categorical or {}))):
        _check_columns(key, names, list(table.columns), where)
    if features is None:
        features = [name for name in table.columns if name not in targets]
    overlap = sorted(set(features) & set(targets))
    if overlap:
        raise ConfigError(f"data.features names the target column(s) {overlap}; a column is either a feature or a target.")
    if not features:
        raise InputError(f"data.path: {where} has no column besides the target(s) {targets}; add columns for the inputs.")
    return features


def _check_columns(key: str, names: list[str], columns: list[str], where: str) -> None:
    for name in names:
        if name not in columns:
            close = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{key}: {name!r} is not a column of {where}. Its columns: {', '.join(map(str, columns))}.{hint}")


def _check_cells(table, where: str) -> None:
    """Every cell that is empty, NaN or infinite, by row and column."""
    bad = table.isna().to_numpy().copy()  # writable: pandas may hand back a read-only view
    for index, name in enumerate(table.columns):
        if _is_numeric(table[name]):
            bad[:, index] |= ~np.isfinite(table[name].to_numpy(dtype=np.float64))
    if not bad.any():
        return
    found = np.argwhere(bad)
    cells = [
        f"row {row + 1}, column {table.columns[column]!r}: "
        + ("empty or NaN" if table.isna().iat[row, column] else str(table.iat[row, column]))
        for row, column in found[:CELLS_NAMED]
    ]
    raise InputError(
        f"data.path: {where} has {len(found)} cell(s) that are not finite numbers or labels: "
        f"{listed_cells(cells, len(found))} (rows count the data rows: row 1 is the line after the header; "
        f"an empty cell is also a row shorter than the header). Fill in or remove those rows."
    )


def _is_numeric(column) -> bool:
    import pandas

    return pandas.api.types.is_numeric_dtype(column)


def _numbers(table, key: str, where: str) -> np.ndarray:
    for name in table.columns:
        if not _is_numeric(table[name]):
            example = next(value for value in table[name] if not _looks_numeric(value))
            raise InputError(
                f"{key}: column {name!r} of {where} holds non-numeric values (e.g. {example!r}); "
                f"expected numbers. Leave it out of {key}, or encode it as numbers."
            )
    return table.to_numpy(dtype=np.float32)


def _looks_numeric(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
