"""Exports beyond the `.keras` file every run saves: a SavedModel for serving."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from framework.validation import ComponentConfig

if TYPE_CHECKING:  # run.py imports this module before TensorFlow is needed
    import keras


class ExportSettings(ComponentConfig):
    """Attributes:
    saved_model: Also exports <run dir>/saved_model, a TensorFlow SavedModel
        with a `serve` signature for TF Serving and `tf.saved_model.load`.
    """

    saved_model: bool


def export_saved_model(model: keras.Model, path: Path) -> None:
    """Writes the trained model's inference function as a SavedModel at `path`."""
    model.export(str(path), format="tf_saved_model", verbose=False)
