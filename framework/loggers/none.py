"""logger=none: records nothing."""

from __future__ import annotations

from framework.loggers.base import LoggerContext, RunLogger
from framework.registry import LOGGERS


@LOGGERS.register("none", config=None)
class NoLogger(RunLogger):
    """Wants no records, so a compiled loop asks nothing and writes nothing."""

    def __init__(self, context: LoggerContext):
        del context
