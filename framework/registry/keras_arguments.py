"""Layer arguments that name Keras objects: by Keras name only, never code.

`activation`, `*_activation`, `*_initializer`, `*_regularizer` and
`*_constraint` arguments are handed by Keras to `keras.<kind>.get`, which also
accepts callables and serialized objects (`{class_name: ..., module: ...}`).
A config is data (framework.config.trust), so here such an argument is a Keras
name checked with that same `get` (`relu`, `he_normal`, `l2`, `non_neg`) or
null; anything else is refused before TensorFlow does any work.

Keras is imported inside the functions: this package imports no TensorFlow.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from framework.errors import ConfigError

# Argument-name ending -> the keras module resolving such names.
_NAMED_KINDS = {
    "activation": "activations",
    "_initializer": "initializers",
    "_regularizer": "regularizers",
    "_constraint": "constraints",
}
# Keys of Keras's serialized-object form, which can name any registered class.
_SERIALIZED_KEYS = ("class_name", "module", "registered_name")


def check_keras_names(kwargs: Mapping[str, Any], where: str, what: str) -> None:
    """Raises ConfigError for a Keras-object argument that is not a known Keras name or null.

    Args:
        kwargs: The layer's arguments from the config.
        where: Their config path, e.g. "model.layers[0]".
        what: The layer in words, e.g. "layer 'dense'".
    """
    for name, value in kwargs.items():
        if isinstance(value, Mapping) and any(key in value for key in _SERIALIZED_KEYS):
            raise ConfigError(
                f"{where}.{name}: {what} got a serialized Keras object {dict(value)!r}; configs hold "
                f"plain values and Keras names only, so a config cannot load code. Give a plain value."
            )
        kind = next((kind for ending, kind in _NAMED_KINDS.items() if name.endswith(ending)), None)
        if kind is not None and value is not None:
            _check_name(kind, name, value, where, what)


def _check_name(kind: str, name: str, value: Any, where: str, what: str) -> None:
    import keras

    module = getattr(keras, kind)
    known = sorted(n for n in dir(module) if n.islower() and not n.startswith("_") and n not in ("get", "serialize", "deserialize"))
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}.{name}={value!r}: {what} takes {kind} by Keras name only (a string), or null; "
            f"configs never hold code or objects. Known {kind}: {', '.join(known)}."
        )
    try:
        module.get(value)
    except (ValueError, TypeError):
        close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(
            f"{where}.{name}={value!r}: unknown Keras {kind[:-1]} name.{hint} Known {kind}: {', '.join(known)}."
        ) from None
