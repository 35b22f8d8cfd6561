"""Loads the modules that register components: built-ins, installed plugins,
and modules named in `plugins=[...]`.

A plugin is any installed distribution with an entry point in the group
`framework.plugins` whose value is a module; importing the module registers
its components. Entry points are read with importlib.metadata, which sees
regular and editable (PEP 660) installs alike.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
import warnings
from collections.abc import Iterable

from framework.errors import PluginError
from framework.registry import ALL_REGISTRIES, registering_for

ENTRY_POINT_GROUP = "framework.plugins"

BUILTIN_MODULES = (
    "framework.layers",
    "framework.models",
    "framework.losses",
    "framework.optimizers",
    "framework.data",
    "framework.strategies",
    "framework.callbacks",
)

log = logging.getLogger(__name__)


def load_plugins(modules: Iterable[str] = ()) -> None:
    """Registers built-ins, every installed plugin, then each module in `modules`.

    Raises:
        PluginError: A module named in `modules` failed to import.
    """
    for name in BUILTIN_MODULES:
        importlib.import_module(name)
    load_installed_plugins()
    for name in modules:
        import_plugin_module(name)


@functools.cache
def load_installed_plugins() -> dict[str, str]:
    """Imports each installed plugin once; returns {distribution: error} for those that failed.

    A broken plugin the run may not need is a warning, not an error: it is
    recorded in every registry so an unknown-key error can name it.
    """
    failures: dict[str, str] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist else entry_point.value
        try:
            with registering_for(distribution):
                entry_point.load()
        except Exception as error:  # any import-time failure of third-party code
            cause = f"{type(error).__name__}: {error}"
            failures[distribution] = cause
            warnings.warn(
                f"Plugin '{distribution}' (entry point {entry_point.value}) failed to load and "
                f"is skipped: {cause}",
                stacklevel=2,
            )
    for registry in ALL_REGISTRIES.values():
        registry.failed_plugins.update(failures)
    return failures


def import_plugin_module(name: str) -> None:
    """Imports a module named in `plugins=[...]`, attributing its registrations to it."""
    try:
        with registering_for(name.split(".")[0]):
            importlib.import_module(name)
    except Exception as error:  # the plugin's own failure, reported with its cause
        raise PluginError(
            f"plugins=[{name}]: could not import the plugin module '{name}': "
            f"{type(error).__name__}: {error}. Check that it is installed or on PYTHONPATH "
            f"and imports cleanly (python -c 'import {name}')."
        ) from error
