"""Each config field's type and one-line description, for `--help`, without importing TensorFlow.

The descriptions live once, in the `Attributes:` docs of the pydantic config
models. The run's top-level settings import nothing heavy and are read live;
the components' models sit in modules that import TensorFlow, so their docs
are extracted into field_docs.json when they change:

    python -m framework.config.field_docs     # rewrites field_docs.json

and tests/test_help.py fails while the file is out of date. Components that
plugins register are read live only where their module is already imported.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import pydantic

DOCS_FILE = Path(__file__).with_name("field_docs.json")

_FIELD_LINE = re.compile(r"^(\w+): (.*)$")
_SCALARS = {int: "int", float: "float", bool: "bool", str: "str", Path: "path"}


def describe_model(model: type[pydantic.BaseModel]) -> dict[str, dict[str, str]]:
    """{field: {"type": ..., "description": ...}} for a config model, in field order."""
    descriptions = _attributes(model)
    return {
        name: {"type": _type_name(info.annotation), "description": descriptions.get(name, "")}
        for name, info in model.model_fields.items()
    }


def builtin_docs() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """{kind: {registry key: fields}} for every built-in component with a config model (imports TensorFlow)."""
    from framework.plugins import load_plugins
    from framework.registry import ALL_REGISTRIES

    load_plugins()
    return {
        kind: {
            entry.key: describe_model(entry.config) if entry.config is not None else describe_signature(entry.factory)
            for entry in sorted(registry.entries(), key=lambda entry: entry.key)
            # Layers are no config group's options (they sit in model.layers); `list layer` shows them.
            if entry.distribution == "built-in" and (entry.config is not None or kind not in ("layer", "merge"))
        }
        for kind, registry in ALL_REGISTRIES.items()
    }


def describe_signature(factory: Any) -> dict[str, dict[str, str]]:
    """{field: {"type": ..., "description": ...}} for a component validated by its own
    signature (Keras's losses): types from the defaults, descriptions from its `Args:` docs."""
    descriptions = _section(factory.__doc__ or "", "Args:")
    parameters = inspect.signature(factory).parameters.values()
    return {
        parameter.name: {
            "type": _SCALARS.get(type(parameter.default), "any") if parameter.default is not parameter.empty else "any",
            "description": descriptions.get(parameter.name, ""),
        }
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY) and parameter.name != "name"
    }


def load_docs() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """The built-in components' field docs as last extracted."""
    return json.loads(DOCS_FILE.read_text())


def _attributes(model: type) -> dict[str, str]:
    """The `Attributes:` entries of a class and its bases, each joined into one line."""
    descriptions: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        doc = cls.__dict__.get("__doc__") or ""
        if "Attributes:" not in doc:
            continue
        descriptions.update(_section(doc, "Attributes:"))
    return descriptions


def _section(doc: str, heading: str) -> dict[str, str]:
    """The `name: description` entries of a Google-style docstring section, each joined into one line."""
    descriptions: dict[str, str] = {}
    if heading not in doc:
        return descriptions
    current, base_indent = None, 0
    for line in doc.split(heading, 1)[1].splitlines():
        match = _FIELD_LINE.match(line.strip())
        indent = len(line) - len(line.lstrip())
        if current is not None and line.strip() and indent < base_indent:
            break  # the section ended (a dedented heading or text)
        if match and (current is None or indent <= base_indent):
            current, base_indent = match[1], indent
            descriptions[current] = match[2]
        elif current and line.strip():
            descriptions[current] += " " + line.strip()
    return descriptions


def _type_name(annotation: Any) -> str:
    """A type as a user reads it: `float`, `int or null`, `loss | val_loss`."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is typing.Literal:
        return " | ".join(str(value) for value in typing.get_args(annotation))
    arguments = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in arguments if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in arguments else "")
    if typing.get_origin(annotation) is list:
        return f"list of {_type_name(arguments[0])}" if arguments else "list"
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return "section"
    return _SCALARS.get(annotation, "mapping")  # anything else is a spec: {name: <key>, ...}


if __name__ == "__main__":
    DOCS_FILE.write_text(json.dumps(builtin_docs(), indent=1) + "\n")
    print(f"wrote {DOCS_FILE}")
