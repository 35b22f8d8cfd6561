"""The examples a trained model is asked about, read from what users have.

    x=[...]           numbers on the command line (one-feature models: one example each)
    csv=<file>        rows; with a header, the run's input columns are found by name
                      (any order, extra columns such as the target ignored)
    npz=<file>        an array of examples of any shape (.npz, or an .npy)
    images=<path>     an image file, or a folder of them (searched through its
                      subfolders), decoded and resized as the run's images were

Each reader returns Examples: the inputs shaped as the model takes them, and
the leading columns of the output (the features by name, or which array
entry or image each row is).
"""

from __future__ import annotations

import csv
import difflib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from framework.data.categories import CategoricalColumn
from framework.errors import InputError

_IMAGE_CHANNELS = {1: "grayscale", 3: "rgb", 4: "rgba"}


@dataclass(frozen=True)
class Examples:
    """Inputs for a model, and how the output names each of them.

    Attributes:
        x: float32 [N, *the model's input shape].
        columns: The output's leading column names (features, or `example`, `image`).
        labels: For each example, the values of those columns as text.
    """

    x: np.ndarray
    columns: list[str]
    labels: list[list[str]]


def from_rows(rows: list[float] | list[list[float]], input_shape: tuple[int, ...], names: list[str] | None,
              categories: Mapping[str, CategoricalColumn] | None = None) -> Examples:
    """`x=[...]`: a flat list is one example per value for a one-feature model, else one example."""
    features = _features(input_shape, "x")
    if categories:
        raise InputError(
            f"x: the run's model takes the categorical column(s) {', '.join(categories)}, whose values are "
            f"not numbers; pass the examples as a CSV file with a header, csv=<file>."
        )
    if not rows:
        raise InputError("x: no examples given; pass at least one, e.g. x=[1.0].")
    if not isinstance(rows[0], list):
        rows = [[value] for value in rows] if features == 1 else [rows]
    for number, row in enumerate(rows, start=1):
        _check_width(len(row), features, f"x: example {number}")
    return _table(np.array(rows, dtype=np.float32).reshape(-1, features), names)


def read_csv(path: Path, input_shape: tuple[int, ...], names: list[str] | None,
             categories: Mapping[str, CategoricalColumn] | None = None) -> Examples:
    """`csv=<file>`: one example per row. A first line that is not numbers is a header; where the
    run knows its input columns (trained on a CSV file), they are taken from it by name. A
    categorical column's values become the codes of the run's vocabulary (unseen ones code 0)."""
    features = _features(input_shape, "csv")
    lines = _csv_lines(path)
    header = None if all(_is_number(value) for value in lines[0]) else lines[0]
    body = lines[1:] if header is not None else lines
    if not body:
        raise InputError(f"csv={path}: the file holds no examples; write one row of numbers per example.")
    if categories and (header is None or names is None):
        raise InputError(
            f"csv={path}: the run's model reads the categorical column(s) {', '.join(categories)} by name; "
            f"give the file a header line naming the columns the run was trained on."
        )
    if header is not None and names is not None:
        x, cells = _by_name(path, header, body, names, categories or {})
        return Examples(x, list(names), cells)
    rows = []
    for number, line in enumerate(body, start=2 if header is not None else 1):
        try:
            rows.append([float(value) for value in line])
        except ValueError:
            raise InputError(
                f"csv={path}, line {number}: expected numbers separated by commas. Received: {','.join(line)!r}."
            ) from None
        _check_width(len(line), features, f"csv={path}, line {number}")
    return _table(np.array(rows, dtype=np.float32), names)


def read_npz(path: Path, key: str | None, input_shape: tuple[int, ...]) -> Examples:
    """`npz=<file>`: the examples along the first axis of one array (`npz_key`, or the file's only
    array, or `x`); a missing trailing channel axis of 1 is added (8x8 digits for an 8x8x1 model)."""
    array, key = _load_array(path, key)
    if array.dtype.kind not in "biuf":
        raise InputError(f"npz={path}: the array {key!r} is of type {array.dtype}; expected numbers.")
    shape = tuple(array.shape[1:])
    if shape != input_shape and (*shape, 1) == input_shape:
        array = array[..., np.newaxis]
    elif shape != input_shape and input_shape == (1,) and array.ndim == 1:
        array = array.reshape(-1, 1)
    elif shape != input_shape:
        raise InputError(
            f"npz={path}: the array {key!r} holds examples of shape {shape} (its first axis counts the examples), "
            f"but the model takes examples of shape {input_shape}. Save an array of shape (N, {', '.join(map(str, input_shape))})."
        )
    return Examples(array.astype(np.float32), ["example"], [[str(index)] for index in range(len(array))])


def read_images(path: Path, input_shape: tuple[int, ...]) -> Examples:
    """`images=<file or folder>`: each image decoded and resized to the model's input size and
    channels, as the run's image folder was (framework.data.image_folder)."""
    from framework.data.image_folder import IMAGE_SUFFIXES, read_image_files

    if len(input_shape) != 3 or input_shape[-1] not in _IMAGE_CHANNELS:
        raise InputError(
            f"images={path}: the model does not take images: its examples have shape {input_shape}, not "
            f"(height, width, 1, 3 or 4 channels). Use x=, csv= or npz= for it."
        )
    if path.is_file():
        files, root = [path], path.parent
    elif path.is_dir():
        files, root = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), path
    else:
        raise InputError(f"images={path}: no such file or folder. Pass an image file or a folder of images.")
    if not files:
        raise InputError(f"images={path}: the folder holds no images ({', '.join(IMAGE_SUFFIXES)}), in it or its subfolders.")
    x = read_image_files(files, tuple(input_shape[:2]), _IMAGE_CHANNELS[input_shape[-1]], where=f"images={path}")
    return Examples(x, ["image"], [[str(file.relative_to(root))] for file in files])


def _features(input_shape: tuple[int, ...], where: str) -> int:
    if len(input_shape) != 1:
        raise InputError(
            f"{where}: the model takes examples of shape {input_shape}, not rows of numbers. Pass them as an "
            f"array with npz=<file> (or images=<file or folder> for an image model)."
        )
    return input_shape[0]


def _check_width(width: int, features: int, where: str) -> None:
    if width != features:
        raise InputError(
            f"{where} has {width} value(s) but the model takes {features} "
            f"feature(s) per example. Give each example {features} number(s)."
        )


def _table(x: np.ndarray, names: list[str] | None) -> Examples:
    if names is None or len(names) != x.shape[1]:
        names = ["x"] if x.shape[1] == 1 else [f"x{i}" for i in range(x.shape[1])]
    return Examples(x, list(names), [[f"{value:.6g}" for value in row] for row in x])


def _csv_lines(path: Path) -> list[list[str]]:
    try:
        with open(path, newline="") as file:
            lines = [row for row in csv.reader(file) if row]
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"csv={path}: cannot read the file: {error}.") from None
    if not lines:
        raise InputError(f"csv={path}: the file holds no examples; write one row of numbers per example.")
    return lines


def _by_name(path: Path, header: list[str], body: list[list[str]], names: Sequence[str],
             categories: Mapping[str, CategoricalColumn]) -> tuple[np.ndarray, list[list[str]]]:
    """The run's columns of every row, by name: numbers, and categorical columns' codes; and
    each row's cells of those columns as text, for the output."""
    header = [column.strip() for column in header]
    missing = [name for name in names if name not in header]
    if missing:
        close = difflib.get_close_matches(missing[0], header, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"csv={path}: the run was trained on the columns {', '.join(names)}, but the file has no column "
            f"{', '.join(repr(name) for name in missing)} (its columns: {', '.join(header)}).{hint} "
            f"Other columns are ignored, in any order."
        )
    for number, line in enumerate(body, start=2):
        if len(line) != len(header):
            raise InputError(f"csv={path}, line {number}: {len(line)} field(s), but the header names {len(header)} columns.")
    cells = [[line[header.index(name)] for name in names] for line in body]
    columns = []
    for index, name in enumerate(names):
        values = [row[index] for row in cells]
        columns.append(categories[name].codes(np.asarray(values, dtype=object)) if name in categories
                       else _numbers_of(path, name, values))
    x = np.column_stack(columns).astype(np.float32)
    labels = [[cell if name in categories else f"{value:.6g}" for name, cell, value in zip(names, row, numbers)]
              for row, numbers in zip(cells, x)]
    return x, labels


def _numbers_of(path: Path, name: str, values: list[str]) -> np.ndarray:
    for number, value in enumerate(values, start=2):
        if not _is_number(value):
            raise InputError(f"csv={path}, line {number}, column {name!r}: expected a number. Received: {value!r}.")
    return np.asarray([float(value) for value in values], dtype=np.float32)


def _load_array(path: Path, key: str | None) -> tuple[np.ndarray, str]:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(f"npz={path}: cannot read it as a NumPy .npz or .npy file: {error}.") from None
    if isinstance(loaded, np.ndarray):
        return loaded, key or "(the .npy array)"
    with loaded:
        arrays = list(loaded.files)
        if key is None:
            key = arrays[0] if len(arrays) == 1 else "x" if "x" in arrays else None
            if key is None:
                raise InputError(f"npz={path}: it holds several arrays ({', '.join(arrays)}); name the examples' with npz_key=<name>.")
        if key not in arrays:
            close = difflib.get_close_matches(key, arrays, n=1, cutoff=0.6)
            hint = f" Did you mean npz_key={close[0]}?" if close else ""
            raise InputError(f"npz={path}: no array named {key!r} in it; it holds: {', '.join(arrays)}.{hint}")
        try:
            return loaded[key], key
        except ValueError:  # an object array: loading it could run code
            raise InputError(f"npz={path}: the array {key!r} holds Python objects, which are not loaded (that could run code).") from None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
