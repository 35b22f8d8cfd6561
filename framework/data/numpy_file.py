"""Examples from NumPy files: one .npz holding named arrays, or a pair of .npy files."""

from __future__ import annotations

import difflib
import zipfile
from typing import Annotated, Literal

import numpy as np
import pydantic

from framework.data.arrays import ArrayData, ArrayDataConfig, encode_classes
from framework.data.files import (
    CELLS_NAMED,
    Given,
    describe_path,
    listed_cells,
    resolve_path,
)
from framework.errors import ConfigError, InputError
from framework.registry import DATA

# The first bytes of an .npy file and of an .npz (zip) archive.
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


class NumpyDataConfig(ArrayDataConfig):
    """Attributes:
    path: An .npz file holding the inputs and targets, or an .npy file of inputs;
        a relative path is relative to the directory you launched from.
    target_path: The .npy file of targets when path is an .npy file; null for an .npz.
    inputs_key: The name of the inputs array inside the .npz.
    targets_key: The name of the targets array inside the .npz.
    target_type: auto (class names when the targets are text, regression when
        numbers), regression, or classification (numbers as class labels too).
    """

    path: Given
    target_path: Annotated[str, pydantic.Field(min_length=1)] | None
    inputs_key: Annotated[str, pydantic.Field(min_length=1)]
    targets_key: Annotated[str, pydantic.Field(min_length=1)]
    target_type: Literal["auto", "regression", "classification"]

    @pydantic.model_validator(mode="after")
    def _pairs_an_npy_file(self):
        if self.path.endswith(".npy") != (self.target_path is not None):
            raise ValueError(
                "an .npy path needs target_path (the .npy file of targets); an .npz path holds both "
                "arrays and takes target_path=null"
            )
        return self


@DATA.register("numpy", config=NumpyDataConfig)
class NumpyData(ArrayData):
    """Float32 inputs [N, ...]; float32 targets [N, outputs], or int32 class ids [N]
    for text targets (names sorted, in `class_names`). Files are read with
    allow_pickle=False: loading data never runs code."""

    def __init__(self, path, target_path, inputs_key, targets_key, target_type, **common):
        self.data_files = tuple(resolve_path(value) for value in (path, target_path) if value is not None)
        if target_path is None:
            x, y = _load_npz(path, inputs_key, targets_key)
        else:
            x, y = _load_npy(path, "data.path"), _load_npy(target_path, "data.target_path")
        if len(x) != len(y):
            raise InputError(
                f"data: the inputs hold {len(x)} examples but the targets {len(y)}; "
                f"expected one target per input example (the first axis)."
            )
        _check_numbers(x, "inputs")
        class_names = None
        if target_type == "classification" or (target_type == "auto" and y.dtype.kind in "US"):
            y, class_names = encode_classes(y, "data: the targets")
        else:
            _check_numbers(y, "targets")
        super().__init__(x, y, class_names=class_names, **common)


def _open(value: str, key: str):
    resolved = resolve_path(value)
    where = describe_path(resolved, value, key)
    if not resolved.is_file():
        raise InputError(f"{key}: no NumPy file at {where}. Check the path; a relative path is relative to the directory you launched from.")
    with resolved.open("rb") as file:
        magic = file.read(len(_NPY_MAGIC))
    if not magic.startswith((_NPY_MAGIC, _ZIP_MAGIC)):
        raise InputError(f"{key}: {where} is not a NumPy .npy or .npz file; save arrays with np.save or np.savez.")
    try:
        return np.load(resolved, allow_pickle=False), where
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise InputError(_pickled(key, where)) from None
        raise InputError(f"{key}: {where} is not a readable NumPy .npy or .npz file ({error}).") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise InputError(f"{key}: {where} is not a readable NumPy .npy or .npz file ({error}).") from None


def _pickled(key: str, where: str) -> str:
    return (
        f"{key}: {where} holds Python objects (pickled arrays), which are not loaded because "
        f"loading them can run code. Save plain numeric or text arrays (np.save, np.savez)."
    )


def _load_npy(value: str, key: str) -> np.ndarray:
    array, where = _open(value, key)
    if not isinstance(array, np.ndarray):
        raise InputError(f"{key}: {where} is an .npz archive; expected one array (.npy). Use data.path for the .npz and data.target_path=null.")
    return array


def _load_npz(value: str, inputs_key: str, targets_key: str) -> tuple[np.ndarray, np.ndarray]:
    archive, where = _open(value, "data.path")
    if isinstance(archive, np.ndarray):
        raise InputError(f"data.path: {where} holds one array (.npy); name the targets' .npy file with data.target_path=...")
    with archive:
        names = list(archive.files)
        for key, name in (("data.inputs_key", inputs_key), ("data.targets_key", targets_key)):
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
                hint = f" Did you mean {key}={close[0]}?" if close else ""
                raise ConfigError(f"{key}: {where} holds no array named {name!r}; it holds: {', '.join(names)}.{hint}")
        try:
            return archive[inputs_key], archive[targets_key]
        except ValueError:  # an object array inside the archive
            raise InputError(_pickled("data.path", where)) from None


def _check_numbers(array: np.ndarray, what: str) -> None:
    if array.dtype.kind in "US" and what == "inputs":
        raise InputError(
            f"data: the inputs are text (type {array.dtype}); data=numpy takes numbers only. Text features are "
            f"categories of a table's columns: write them as columns of a CSV or Parquet file and train with data=csv "
            f"or data=parquet (their text columns are encoded inside the model), or encode them as numbers before saving."
        )
    if array.dtype.kind not in "biuf":
        raise InputError(f"data: the {what} are of type {array.dtype}; expected numbers. Convert them to a numeric array before saving.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        found = np.argwhere(~np.isfinite(array))
        cells = [f"{_position(tuple(int(i) for i in index))}: {array[tuple(index)]}" for index in found[:CELLS_NAMED]]
        raise InputError(
            f"data: the {what} hold {len(found)} value(s) that are not finite numbers: {listed_cells(cells, len(found))} "
            f"(rows count examples from 0, along the first axis). Every value must be finite: fix or drop those examples."
        )


def _position(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return f"row {index[0]}"
    if len(index) == 2:
        return f"row {index[0]}, column {index[1]}"
    return f"row {index[0]}, index {index[1:]}"
