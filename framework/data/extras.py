"""Libraries only some data sources need, imported when such a source is built.

The default run (the linear tutorial) imports neither pandas nor
scikit-learn; the sources that read files or bundled data sets ask for them here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from framework.errors import ConfigError

EXTRA = "data"  # the setup.cfg extra that installs them


def import_for(module: str, source: str) -> ModuleType:
    """Imports `module` for data source `source`, or says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"data={source} needs {module.split('.')[0]}, which is not installed. "
            f"Install it with: pip install 'keras-hydra-framework[{EXTRA}]'"
        ) from None
