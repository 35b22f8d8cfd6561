"""A run's composed config as TensorBoard HParams.

Each run records its flattened config (`optimizer.learning_rate: 0.1`, ...)
once; TensorBoard's HParams dashboard then shows the runs of a sweep as rows,
with the last value of each scalar tag (`epoch/loss`, `variables/linear/W`, ...)
as metric columns to sort by.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tensorboard.plugins.hparams import api as hp

HParamValue = bool | int | float | str


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, HParamValue]:
    """Nested config -> {"dotted.key": value}; values HParams cannot hold become JSON text."""
    flat: dict[str, HParamValue] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, prefix=f"{name}."))
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        else:  # lists (model.layers, plugins), None
            flat[name] = json.dumps(value)
    return flat


def write_hparams(config: Mapping[str, Any]) -> None:
    """Records `config` as this run's hparams with the default tf.summary writer."""
    hp.hparams(flatten_config(config))
