"""Fake installed plugins: a package and its dist-info with entry points, written the way pip writes them."""

from __future__ import annotations

import textwrap
from pathlib import Path

LAYER_MODULE = """
import keras
from framework.registry import LAYERS

@LAYERS.register("{key}")
class {cls}(keras.layers.Layer):
    def __init__(self, units=1, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {{**super().get_config(), "units": self.units}}
"""


def layer_module(key: str, cls: str = "FakeLayer") -> str:
    return LAYER_MODULE.format(key=key, cls=cls)


def install_distribution(site: Path, name: str, files: dict[str, str], *, plugin: str | None = None, configs: str | None = None) -> None:
    """Writes `files` and a dist-info for distribution `name` into `site`, as pip would."""
    for relative, text in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(textwrap.dedent(text))
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    groups = {"framework.plugins": plugin, "framework.configs": configs}
    (info / "entry_points.txt").write_text(
        "".join(f"[{group}]\n{value.split('.')[0]} = {value}\n" for group, value in groups.items() if value)
    )
