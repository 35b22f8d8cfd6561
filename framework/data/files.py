"""Where the user's data files are: paths resolve against the launch directory.

Hydra runs a job inside its run directory; a relative `data.path` means what
the user typed it relative to, the directory they launched from.
"""

from __future__ import annotations

from typing import Annotated

import pydantic

from framework.config.paths import describe_path, launch_directory, resolve_path

__all__ = ["Given", "describe_path", "given", "launch_directory", "resolve_path"]


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
