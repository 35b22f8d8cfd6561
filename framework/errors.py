"""Errors a user can act on. Their message is the whole explanation.

The CLI prints these as one paragraph without a traceback (set
HYDRA_FULL_ERROR=1 to see it); anything else is a bug and keeps its traceback.
"""


class FrameworkError(Exception):
    """Base class for errors caused by the user's input, not by a bug."""


class ConfigError(FrameworkError):
    """A config value is missing, misspelled, of the wrong type or out of range."""


class UnknownComponentError(ConfigError):
    """A config names a registry key nobody registered."""


class RegistryConflictError(FrameworkError):
    """Two different components claim one registry key."""


def raise_together(problems: list[ConfigError]) -> None:
    """Raises nothing for no problems, the one problem as it is (an
    UnknownComponentError stays one), or every message in one ConfigError."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigError("\n".join(str(problem) for problem in problems))


class PluginError(FrameworkError):
    """A plugin module named in `plugins=[...]` could not be imported."""


class NonFiniteLossError(FrameworkError):
    """The training loss became NaN or infinite; the run stopped there."""


class NonFiniteWeightsError(NonFiniteLossError):
    """A model variable became NaN or infinite (the last update diverged); nothing of it was saved."""


class OutputWriteError(FrameworkError):
    """A run's output (checkpoint, model, summary, events, plots) could not be written: a full
    disk, an I/O error, a directory that went away. The last good checkpoint is kept."""


class InputError(FrameworkError):
    """A file or value handed to a command cannot be used: a missing run
    directory, an unreadable CSV file, examples of the wrong width."""


class DeviceError(FrameworkError):
    """The requested device (device=gpu) is not available, or cannot be selected any more."""


class DistributionError(FrameworkError):
    """A distribution strategy cannot start: missing cluster description, devices already initialised."""


class ResumeError(FrameworkError):
    """A run cannot be resumed as asked: no such run, or overrides that change the experiment."""


class RunDirectoryError(FrameworkError):
    """A run directory belongs to another run, or another process is writing it."""


class CheckpointError(ResumeError):
    """A run's checkpoint is missing or cannot be read."""


class TrainingInterrupted(Exception):
    """A signal (SIGTERM, SIGINT) stopped training at an epoch boundary after a checkpoint.

    Not a user error: the run is intact and resumable.
    """

    def __init__(self, message: str, signal_number: int):
        super().__init__(message)
        self.signal_number = signal_number
