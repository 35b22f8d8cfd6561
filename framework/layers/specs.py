"""Resolving a layer spec of a model config, nested specs included (a wrapper's `layer`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from framework.errors import ConfigError, raise_together
from framework.registry import LAYERS, Resolved


def resolve_layer(spec: Mapping[str, Any], where: str) -> Resolved:
    """LAYERS.resolve(spec, where), and the same for every nested spec the layer takes
    (the arguments its factory lists in `layer_arguments`), each at its own config path.

    Raises:
        ConfigError: The spec or a nested one is invalid; every problem is named.
    """
    resolved = LAYERS.resolve(spec, where)
    problems = []
    for argument in getattr(resolved.entry.factory, "layer_arguments", ()):
        nested = resolved.kwargs.get(argument)
        if nested is None:
            continue
        try:
            resolve_layer(nested, f"{where}.{argument}")
        except ConfigError as error:
            problems.append(error)
    raise_together(problems)
    return resolved
