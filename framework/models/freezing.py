"""`freeze: [patterns]`: layers whose weights training leaves as they are.

Works for every model, sequential or not: the patterns (shell-style, as
`fnmatch` reads them: `conv*`, `dense_?`) are matched against the names of
the built model's layers, nested models included, so freezing an
application's backbone by its name freezes all of it. A single layer of a
stack can also be frozen where it is declared, `{name: dense, units: 16,
trainable: false}`. Frozen layers run in inference mode (BatchNormalization
keeps its moving statistics), as Keras freezes them.
"""

from __future__ import annotations

import fnmatch
import logging

import keras

from framework.errors import ConfigError
from framework.models.layer_tree import named_layers

log = logging.getLogger("framework")


def freeze_layers(model: keras.Model, patterns: list[str]) -> list[str]:
    """Sets `trainable = False` on every layer whose name matches one of `patterns`; returns their names.

    Called before the optimizer sees the model's trainable variables.

    Raises:
        ConfigError: A pattern matches no layer (the message lists the layers' names).
    """
    if not patterns:
        return []
    layers = named_layers(model)
    frozen = []
    for pattern in patterns:
        matched = [name for name in layers if fnmatch.fnmatchcase(name, pattern)]
        if not matched:
            raise ConfigError(
                f"freeze: {pattern!r} matches no layer of the model. Its layers: {', '.join(layers)} "
                f"(model_summary.txt of a run shows them). Name layers, or use patterns such as 'conv*'."
            )
        frozen += [name for name in matched if name not in frozen]
    for name in frozen:
        layers[name].trainable = False
    log.info("freeze: %s not trained (%s).", ", ".join(frozen), "patterns " + ", ".join(patterns))
    return frozen
