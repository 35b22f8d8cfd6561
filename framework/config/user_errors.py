"""Turns user errors into one clear paragraph on stderr and a non-zero exit.

Exit statuses (documented in the README):
    0    the run finished
    1    a multirun finished but some of its jobs failed (listed on stderr)
    2    bad input: config, overrides, plugins, resume, an unwritable directory
    3    training diverged: the loss became NaN or infinite
    4    a run's output could not be written (disk full, I/O error)
    128 + N  stopped by signal N after writing a checkpoint (143 SIGTERM, 130 SIGINT)

Hydra prints its own config errors before our code runs, without listing the
valid choices. We ask Hydra to re-raise them instead (its HYDRA_FULL_ERROR
switch) and explain them here; a user who sets HYDRA_FULL_ERROR=1 still gets
the full traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import signal
import sys
from collections.abc import Iterator

from hydra.errors import (
    ConfigCompositionException,
    MissingConfigException,
    OverrideParseException,
)
from omegaconf.errors import ConfigAttributeError, ConfigKeyError

from framework.config.sources import options_with_key
from framework.errors import (
    FrameworkError,
    NonFiniteLossError,
    OutputWriteError,
    TrainingInterrupted,
)
from framework.registry.did_you_mean import closest

# Exit status for errors in the user's input (configs, overrides, plugins).
USER_ERROR_EXIT_CODE = 2
DIVERGED_EXIT_CODE = 3
WRITE_FAILED_EXIT_CODE = 4
FAILED_JOBS_EXIT_CODE = 1  # a multirun whose failed jobs are listed (framework.reports.multirun_failures)

_USER_ERRORS = (FrameworkError, ConfigCompositionException, MissingConfigException, OverrideParseException)


class JobFailed(BaseException):
    """Carries a single run's user error out of the Hydra job.

    Hydra reports an Exception leaving a job with a line of its own ("Error
    executing job with overrides: ...") before ours; a BaseException passes
    its job handling untouched, and report_user_errors reports the error it holds.
    """

    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


@contextlib.contextmanager
def report_user_errors() -> Iterator[None]:
    wants_traceback = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        try:
            yield
        except JobFailed as failure:
            raise failure.error from failure.error.__cause__
    except TrainingInterrupted as interruption:
        sys.stderr.write(f"{interruption}\n")
        sys.exit(128 + interruption.signal_number)
    except KeyboardInterrupt:  # Ctrl-C before training began (during it, a checkpoint is written first)
        sys.stderr.write("Interrupted (SIGINT) before training began; nothing was trained or saved.\n")
        sys.exit(128 + signal.SIGINT)
    except (*_USER_ERRORS, OSError) as error:
        if wants_traceback:
            raise
        sys.stderr.write(f"Error: {explain(error)}\n")
        sys.exit(exit_status(error))
    finally:
        if not wants_traceback:
            del os.environ["HYDRA_FULL_ERROR"]


def is_bad_input(exception: BaseException) -> bool:
    """Whether `exception` (or the error a JobFailed carries) ends the command as bad input, exit status 2."""
    error = exception.error if isinstance(exception, JobFailed) else exception
    return isinstance(error, _USER_ERRORS) and exit_status(error) == USER_ERROR_EXIT_CODE


def exit_status(error: Exception) -> int:
    """The process exit status for a user-facing error."""
    if isinstance(error, NonFiniteLossError):
        return DIVERGED_EXIT_CODE
    if isinstance(error, OutputWriteError):
        return WRITE_FAILED_EXIT_CODE
    return USER_ERROR_EXIT_CODE


def explain(error: Exception) -> str:
    """The user-facing paragraph for a user error."""
    # Hydra's MissingConfigException is an OSError too: user errors are explained first.
    if isinstance(error, OSError) and not isinstance(error, _USER_ERRORS):
        return _explain_os_error(error)
    if isinstance(error, MissingConfigException) and error.options is not None:
        return _explain_missing_option(error)
    if isinstance(error, OverrideParseException):
        return (
            f"{error.override}: Hydra cannot parse this override: {error.message.splitlines()[0]}. "
            f"Overrides are key=value; quote values with brackets, commas or spaces for the shell, "
            f"e.g. 'model.layers=[{{name: dense, units: 1}}]'."
        )
    cause = error.__cause__
    if isinstance(error, ConfigCompositionException) and isinstance(
        cause, (ConfigKeyError, ConfigAttributeError)
    ):
        return _explain_unknown_key(error, cause)
    return str(error).strip()


def _explain_missing_option(error: MissingConfigException) -> str:
    # missing_cfg_file looks like "model/no_such_model".
    group, _, option = str(error.missing_cfg_file).rpartition("/")
    message = (
        f"{group}={option}: there is no option '{option}' in config group '{group}'. "
        f"Available options: {', '.join(error.options)}."
    )
    close = difflib.get_close_matches(option, error.options, n=2, cutoff=0.5)
    if close:
        message += f" Did you mean {' or '.join(f'{group}={c}' for c in close)}?"
    return message + " Plugins add options: pip install the plugin that ships it."


def _explain_unknown_key(error: ConfigCompositionException, cause: Exception) -> str:
    override = re.search(r"use \+(.+)", str(error))  # the override as typed, to the end of its line
    full_key = getattr(cause, "full_key", None) or "?"
    parent, _, key = str(full_key).rpartition(".")
    node = getattr(cause, "parent_node", None)
    known = [str(k) for k in node.keys()] if node is not None else []
    typed = override.group(1) if override else full_key
    selected = node.get("name") if node is not None and "." not in parent and parent else None
    others = [option for option in options_with_key(parent, key) if option != selected] if selected else []
    if others:  # e.g. model.layers with model=linear: the key belongs to another option
        choices = " or ".join(f"{parent}={option}" for option in others)
        return (
            f"{typed}: the selected {parent} '{selected}' has no '{key}'; {choices} does. Select it: "
            f"{parent}={others[0]} '{typed}'."
        )
    message = f"{typed}: '{key}' is not a key of {parent or 'the top level'}. Valid keys: {', '.join(known)}."
    close = closest(key, known)
    if close:
        return message + f" Did you mean {f'{parent}.' if parent else ''}{close}?"
    if "name" in known:  # a component takes arguments its config file does not list (e.g. Keras's optimizer options)
        return message + f" To pass an argument the config file does not list, prefix the override with '+': +{typed}."
    return message


def _explain_os_error(error: OSError) -> str:
    # Raised where a run creates or writes its directory (Hydra creates it
    # before any framework code runs), so the usual cause is the output path.
    path = error.filename or "a file of the run"
    return (
        f"cannot write {path}: {error.strerror or error}. The run's output directory must be "
        f"writable: choose another with hydra.run.dir=<dir> (hydra.sweep.dir=<dir> with -m), "
        f"or fix the permissions."
    )
