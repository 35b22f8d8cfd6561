"""The logger group: which loggers a run fans out to, and when they get records.

`logger=tensorboard` or `logger=[tensorboard,mlflow,csv]`: Hydra puts each
selected option under its own key (configs/logger/<key>.yaml is
`# @package logger.<key>`), beside the cadence keys every selected logger
shares (configs/train.yaml). One cadence for all of them means the strategies
ask one question per record whatever the number of loggers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pydantic

from framework.errors import ConfigError
from framework.registry import LOGGERS, Resolved
from framework.registry.schema import ComponentConfig, validate_fields


class LoggingSettings(ComponentConfig):
    """Attributes:
    log_every_n_epochs: Epoch records (losses, learning rate, variables) every
        N epochs and at the last; 0 picks N so a run has at most 1000 records
        (every epoch for runs of up to 1000 epochs).
    log_every_n_steps: Also records the running loss every N optimizer steps
        (the loggers that take step records); 0 records per epoch only.
    """

    log_every_n_epochs: Annotated[int, pydantic.Field(ge=0)]
    log_every_n_steps: Annotated[int, pydantic.Field(ge=0)]


@dataclass(frozen=True)
class LoggerSelection:
    """The loggers a run records with, resolved but not built.

    Attributes:
        settings: The cadence every selected logger shares.
        loggers: Each selected logger, in the order selected.
    """

    settings: LoggingSettings
    loggers: tuple[Resolved, ...]

    def build(self, **runtime: Any) -> list[Any]:
        """Builds every selected logger with the same `runtime` arguments."""
        return [logger.build(**runtime) for logger in self.loggers]


def resolve_loggers(spec: Any, where: str = "logger") -> LoggerSelection:
    """Validates the logger group's config: the cadence keys and one mapping per selected logger.

    Raises:
        ConfigError: A cadence key is invalid, a selected logger is unknown or
            its arguments are invalid.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where}: expected the logger group's mapping (the cadence keys and the selected loggers). "
            f"Received: {spec!r}. Select loggers with logger=tensorboard or logger=[tensorboard,mlflow]."
        )
    cadence_keys = LoggingSettings.model_fields
    settings = LoggingSettings(
        **validate_fields(LoggingSettings, {k: v for k, v in spec.items() if k in cadence_keys}, where, "the loggers")
    )
    loggers = []
    for key, arguments in spec.items():
        if key in cadence_keys:
            continue
        if not isinstance(arguments, Mapping):
            raise ConfigError(
                f"{where}.{key}={arguments!r} is not a known key; expected one of: {', '.join(cadence_keys)}, "
                f"or a logger selected with logger=[...] (available: {', '.join(LOGGERS.keys())})."
            )
        loggers.append(LOGGERS.resolve({"name": key, **arguments}, where=f"{where}.{key}"))
    return LoggerSelection(settings, tuple(loggers))
