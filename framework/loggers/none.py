"""logger=none: records nothing."""

from __future__ import annotations

from framework.loggers.base import RunLogger
from framework.registry import LOGGERS
from framework.run_directory import RunDirectory


@LOGGERS.register("none", config=None)
class NoLogger(RunLogger):
    """Wants no records, so a compiled loop asks nothing and writes nothing."""

    def __init__(self, run_dir: RunDirectory):
        del run_dir
