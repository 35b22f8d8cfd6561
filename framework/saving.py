"""Saving a trained model, and loading a saved one (or a finished run's) in any process."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import keras
from keras.src.export.export_utils import (
    get_input_signature,  # what Keras's own model.export reads the inputs from
)

from framework.config.trained_run import check_finished_run, run_plugins
from framework.errors import InputError
from framework.loggers.library_notices import notices_to_run_log
from framework.plugins import load_plugins
from framework.run_directory import RunDirectory


def save_model(model: keras.Model, path: Path) -> None:
    """Writes `model` as a `.keras` file that appears whole or not at all."""
    # Keras insists on the .keras suffix, so the temporary file keeps it.
    temporary = path.with_name(f".partial-{path.name}")
    try:
        model.save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # a failed write leaves nothing behind


def export_saved_model(model: keras.Model, path: Path) -> None:
    """Writes the trained model's inference function as a TensorFlow SavedModel at `path`.

    Its `serve` endpoint (also the `serving_default` signature) takes and returns
    float32 whatever the run's precision: under mixed_bfloat16 Keras's own export
    would take and return bfloat16, which no client sends. The model casts its inputs
    to its compute dtype itself, as in training.
    """
    notices_to_run_log("tensorflow")  # its "Assets written to: <path>"
    signature = [keras.InputSpec(shape=spec.shape, dtype="float32") for spec in get_input_signature(model)]
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda inputs: keras.ops.cast(model(inputs, training=False), "float32"), signature)
    archive.write_out(str(path), verbose=False)


def save_input_and_class_names(run_dir: RunDirectory, data, from_logits: bool) -> None:
    """What framework.predict needs beside the model: the classes its outputs score
    (classes.json) and the names of its input columns (features.json), where the data has them."""
    records = {
        run_dir.class_names: data.class_names and {"names": list(data.class_names), "from_logits": from_logits},
        run_dir.feature_names: data.feature_names and {"names": list(data.feature_names)},
    }
    for path, record in records.items():
        if record:
            with run_dir.writing(f"the {path.stem} names", path):
                path.write_text(json.dumps(record) + "\n")


def saved_feature_names(run_dir: Path) -> list[str] | None:
    """The input columns a run was trained on (a CSV file's), or None."""
    path = RunDirectory(run_dir).feature_names
    return list(json.loads(path.read_text())["names"]) if path.is_file() else None


def load_model(path: str | Path, plugins: tuple[str, ...] = (), compile: bool = True) -> keras.Model:
    """Loads a model saved by a run (a `.keras` file, or a run directory).

    With `compile` (the default) the model comes back with its optimizer, loss and
    metrics, ready to train on; inference and fine-tuning load the layers only.

    Built-in and installed plugin components are registered first, so their
    layers deserialize. Keras safe mode stays on: a saved file cannot run code.

    Raises:
        InputError: The file is truncated, not a Keras model, or would run code.
    """
    path = Path(path)
    if path.is_dir():
        path = RunDirectory(path).model
    load_plugins(plugins)
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=compile)
    # Keras reports a truncated, foreign or unsafe file (one that would run code) as any of these.
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as error:
        cause = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"{path}: cannot load this model: {cause}. A run's model.keras is written whole or not at all, so "
            f"a damaged or edited file is not one a run saved; models that would run code (Lambda layers, "
            f"unregistered classes) are refused by Keras's safe mode. Retrain, or resume the run to rewrite it."
        ) from error


def load_run_model(run_dir: Path, key: str = "run", plugins: tuple[str, ...] = ()) -> keras.Model:
    """The trained model of a finished run, with the plugins the run was trained with imported first.

    Args:
        run_dir: The run's directory, as the user gave it.
        key: The argument that named it, for messages ("run", "init_from").
        plugins: More modules to import.

    Raises:
        InputError: No such directory; no model.keras in it (the message says whether the
            run failed, and why, or stopped, and how to finish it); or the model cannot be loaded.
    """
    check_finished_run(run_dir, key)
    return load_model(RunDirectory(run_dir).model, (*run_plugins(run_dir), *plugins), compile=False)
