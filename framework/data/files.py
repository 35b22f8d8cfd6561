"""Where the user's data files are: paths resolve against the launch directory.

Hydra runs a job inside its run directory; a relative `data.path` means what
the user typed it relative to, the directory they launched from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import pydantic


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


# How many bad cells a message names one by one before it counts the rest.
CELLS_NAMED = 10


def listed_cells(cells: list[str], total: int) -> str:
    """`cells` (each "row 3, column 'b': inf") joined, with how many more of `total` there are."""
    more = f"; and {total - len(cells)} more" if total > len(cells) else ""
    return "; ".join(cells) + more


def given(value: str) -> str:
    """Rejects OmegaConf's '???' (a value the config leaves for the user to set); for pydantic AfterValidator."""
    if value == "???":
        raise ValueError("no value was given; set it on the command line or in a config")
    return value


# A path or name the config leaves to the user (`???` in configs/data/*.yaml).
Given = Annotated[str, pydantic.Field(min_length=1), pydantic.AfterValidator(given)]
