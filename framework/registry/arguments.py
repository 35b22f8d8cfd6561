"""Keyword-argument names of a component without a config model, read from its signature.

A config spec `{name: conv1d, filter: 4}` is checked here before anything is
built: `filter` is not a keyword of `Conv1D` (nor of the `keras.layers.Layer`
it hands `**kwargs` to), so the run stops with "did you mean filters?".
Values are the component's own business: it checks them when built.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from framework.errors import ConfigError
from framework.registry.did_you_mean import closest

# The key of a spec that names the registry entry, so never an argument.
SPEC_KEY = "name"


def keyword_arguments(factory: Callable[..., Any]) -> list[str] | None:
    """The keyword arguments `factory` accepts, or None when it takes any keyword.

    A class whose `__init__` ends in `**kwargs` hands them to its base class
    (Keras's convention: `Conv2D(**kwargs)` -> `Layer(dtype=, trainable=, ...)`),
    so the bases' keyword arguments count too, up the MRO to the first
    `__init__` without `**kwargs`. A function with `**kwargs` checks them itself.
    """
    if not inspect.isclass(factory):
        own = _own_keywords(factory)
        return None if own is None or _takes_any_keyword(factory) else own
    accepted: list[str] = []
    for cls in factory.__mro__:
        if cls is object or "__init__" not in vars(cls):
            continue
        own = _own_keywords(cls.__init__)
        if own is None:
            return None
        accepted += [name for name in own if name not in accepted]
        if not _takes_any_keyword(cls.__init__):
            break
    return accepted


def check_keyword_names(factory: Callable[..., Any], kwargs: Mapping[str, Any], where: str, what: str) -> None:
    """Raises ConfigError naming each argument `factory` does not take, with a did-you-mean.

    Args:
        factory: The registered class or function.
        kwargs: The arguments from the config.
        where: Their config path, e.g. "model.layers[0]".
        what: The component in words, e.g. "layer 'conv1d'".
    """
    accepted = settable_arguments(factory)
    if accepted is None:
        return
    problems = []
    for name in kwargs:
        if name not in accepted:
            close = closest(name, accepted)
            hint = f" Did you mean {close}?" if close else ""
            problems.append(f"{where}.{name}: {what} takes no argument '{name}'.{hint}")
    if problems:
        raise ConfigError(
            " ".join(problems) + f" It accepts: {', '.join(accepted)}. "
            "`python -m framework.list` shows every component's arguments."
        )


def settable_arguments(factory: Callable[..., Any]) -> list[str] | None:
    """The keyword arguments a config spec can set (`name` is the spec's registry key)."""
    accepted = keyword_arguments(factory)
    return None if accepted is None else [name for name in accepted if name != SPEC_KEY]


def _own_keywords(function: Callable[..., Any]) -> list[str] | None:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return None
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]


def _takes_any_keyword(function: Callable[..., Any]) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(function).parameters.values())
