"""Paths the user typed: relative ones mean the directory they launched from.

Hydra may run a job inside its run directory (`hydra.job.chdir=true`); a
relative `data.path`, `init_from` or weights file means what the user typed
it relative to, the directory they launched from. Imports nothing heavy.
"""

from __future__ import annotations

import os
from pathlib import Path


def launch_directory() -> Path:
    """The directory the user launched from, under Hydra or not."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        from hydra.utils import get_original_cwd

        return Path(get_original_cwd())
    return Path(os.getcwd())


def resolve_path(value: str) -> Path:
    """`value` (as the user gave it) as an absolute path."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else launch_directory() / path


def describe_path(path: Path, value: str, key: str = "data.path") -> str:
    """The resolved path and the value given, for error messages."""
    return f"{path} ({key}={value!r})" if str(path) != value else str(path)
