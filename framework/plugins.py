"""Loads the modules that register components: built-ins, installed plugins,
and modules named in `plugins=[...]`.

A plugin is any installed distribution with an entry point in the group
`framework.plugins` whose value is a module; importing the module registers
its components. Entry points are read with importlib.metadata, which sees
regular and editable (PEP 660) installs alike: no scan of namespace packages.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
from collections.abc import Iterable

from framework.errors import FrameworkError, PluginError
from framework.registry import ALL_REGISTRIES, registering_for

ENTRY_POINT_GROUP = "framework.plugins"

# The modules whose import registers the framework's own components.
BUILTIN_MODULES = (
    "framework.layers",
    "framework.models",
    "framework.losses",
    "framework.metrics",
    "framework.optimizers",
    "framework.data",
    "framework.strategies",
    "framework.loggers",
    "framework.callbacks",
    "framework.sweeps",
    "framework.distribution.single_device",
    "framework.distribution.data_parallel",
    "framework.distribution.model_parallel",
    "framework.distribution.mirrored",
    "framework.distribution.multi_worker",
)

log = logging.getLogger(__name__)


def load_plugins(modules: Iterable[str] = ()) -> None:
    """Registers built-ins, every installed plugin, then each module in `modules`.

    Loading again is harmless: a module is imported once per process.

    Raises:
        PluginError: A module named in `modules` failed to import.
        RegistryConflictError: Two plugins registered different components under one key.
    """
    for name in BUILTIN_MODULES:
        importlib.import_module(name)
    load_installed_plugins()
    for name in modules:
        import_plugin_module(name)


@functools.cache
def load_installed_plugins() -> dict[str, str]:
    """Imports each installed plugin once; returns {distribution: cause} for those that failed.

    A broken plugin the run may not need is one warning, not an error: it is
    recorded in every registry so that an unknown-key error names it.
    """
    failures: dict[str, str] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist else entry_point.value
        try:
            with registering_for(distribution):
                entry_point.load()
        except FrameworkError:
            raise  # a key conflict is the user's to resolve, whichever plugin the run needs
        # Third-party code may fail any way at import, sys.exit() and raising
        # KeyboardInterrupt included; none of it may end the run silently.
        except BaseException as error:
            failures[distribution] = f"{type(error).__name__}: {error}"
            log.warning(
                "Plugin '%s' (entry point %s = %s) failed to load and is skipped: %s",
                distribution, entry_point.name, entry_point.value, failures[distribution],
            )
    for registry in ALL_REGISTRIES.values():
        registry.failed_plugins.update(failures)
    return failures


def import_plugin_module(name: str) -> None:
    """Imports a module named in `plugins=[...]`; its registrations name its distribution if installed."""
    try:
        importlib.import_module(name)
    except FrameworkError:
        raise  # already explains itself (e.g. a key conflict naming both origins)
    # The plugin's own failure, reported with its cause: a module calling
    # sys.exit() or raising KeyboardInterrupt at import must not end the run silently.
    except BaseException as error:
        raise PluginError(
            f"plugins=[{name}]: could not import the plugin module '{name}': "
            f"{type(error).__name__}: {error}. Check that it is installed (pip install ...) "
            f"or on PYTHONPATH and imports cleanly: python -c 'import {name}'."
        ) from error
