"""Loading a saved `.keras` model in any process."""

from __future__ import annotations

from pathlib import Path

import keras

from framework.plugins import load_plugins


def load_model(path: str | Path, plugins: tuple[str, ...] = ()) -> keras.Model:
    """Loads a model saved by a run (a `.keras` file, or a run directory).

    Built-in and installed plugin components are registered first, so their
    layers deserialize. Keras safe mode stays on: a saved file cannot run code.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "model.keras"
    load_plugins(plugins)
    return keras.saving.load_model(path, safe_mode=True)
