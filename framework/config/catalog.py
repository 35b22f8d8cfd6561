"""What is registered, where it comes from, and what it takes.

For each component: its origin (built-in, or the plugin distribution and
version), and its fields with defaults, read from the first of: its pydantic
config model, its signature; a config file of its group named after its key
(e.g. configs/model/linear.yaml) supplies the defaults that file holds.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import OmegaConf

from framework.config.sources import (
    BUILTIN_CONFIGS_PACKAGE,
    load_config_file,
    plugin_config_files,
)
from framework.registry import Entry, Registry
from framework.registry.arguments import SPEC_KEY

REQUIRED = object()  # the default of a field that has none

# Kinds whose config files are not in a top-level group named after the kind.
_CONFIG_GROUP_OF_KIND = {"schedule": "optimizer/schedule"}
# Keys of a config file that are Hydra's, not the component's arguments.
_NOT_ARGUMENTS = ("name", "defaults")
_HERE = "@_here_"  # a defaults entry merged into the file itself


@dataclass(frozen=True)
class Component:
    """One registered component as the catalog shows it.

    Attributes:
        key: Its registry key.
        origin: "built-in", "<distribution> <version>", or "<module> (not installed)".
        fields: Argument name -> default (REQUIRED if none).
        defaults_from: The config file that supplied defaults, if any.
    """

    key: str
    origin: str
    fields: dict[str, Any]
    defaults_from: str | None


def describe(kind: str, registry: Registry) -> list[Component]:
    """Every component of `registry`, sorted by key; `kind` is also its config group."""
    config_files = _config_files(_CONFIG_GROUP_OF_KIND.get(kind, kind))
    components = []
    for entry in registry.entries():
        fields = _fields(entry)
        defaults_from = None
        if entry.key in config_files:
            defaults_from, file_values = config_files[entry.key]
            defaults = file_values.get("defaults", [])
            fields.update(_included_values(_CONFIG_GROUP_OF_KIND.get(kind, kind), defaults))
            fields.update({name: value for name, value in file_values.items() if name not in _NOT_ARGUMENTS})
            fields.update(_group_defaults(defaults))
        components.append(Component(entry.key, origin_of(entry), fields, defaults_from))
    return components


def origin_of(entry: Entry) -> str:
    if entry.distribution == "built-in":
        return "built-in"
    try:
        return f"{entry.distribution} {importlib.metadata.version(entry.distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{entry.distribution} (not installed)"


def _fields(entry: Entry) -> dict[str, Any]:
    if entry.config is not None:
        return {
            name: REQUIRED if info.is_required() else info.get_default(call_default_factory=True)
            for name, info in entry.config.model_fields.items()
        }
    return _signature_defaults(entry.factory)


def _group_defaults(defaults: list[Any]) -> dict[str, str]:
    """Fields a config file fills from a config group of its own (`defaults: [schedule: constant]`): field -> option."""
    return {
        group: option
        for entry in defaults if isinstance(entry, dict)
        for group, option in entry.items() if not group.endswith(_HERE)
    }


def _included_values(group: str, defaults: list[Any]) -> dict[str, Any]:
    """The values a config file merges into itself from its sub-groups (`common@_here_: keras`)."""
    values = {}
    for entry in defaults:
        for subgroup, option in (entry.items() if isinstance(entry, dict) else ()):
            if subgroup.endswith(_HERE):
                path = importlib.resources.files(BUILTIN_CONFIGS_PACKAGE) / group / subgroup.removesuffix(_HERE) / f"{option}.yaml"
                values.update(OmegaConf.to_container(OmegaConf.create(path.read_text())))
    return values


def _signature_defaults(factory: Callable[..., Any]) -> dict[str, Any]:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return {}
    return {
        parameter.name: REQUIRED if parameter.default is parameter.empty else parameter.default
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY) and parameter.name != SPEC_KEY
    }


def _config_files(group: str) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """{key: (file, values)} for config files `<group>/<key>.yaml` that build `key` itself."""
    files = {}
    folder = importlib.resources.files(BUILTIN_CONFIGS_PACKAGE) / group
    candidates = [(f"configs/{group}/{r.name}", r.name.removesuffix(".yaml"), OmegaConf.create(r.read_text()))
                  for r in (folder.iterdir() if folder.is_dir() else ()) if r.name.endswith(".yaml")]
    candidates += [(f"{c.path} ({c.distribution})", c.name, load_config_file(c))
                   for c in plugin_config_files() if c.group == group]
    for where, name, node in candidates:
        if node is not None and node.get("name") == name:
            files.setdefault(name, (where, OmegaConf.to_container(node, resolve=False)))
    return files
