"""Turns user errors into one clear paragraph on stderr and a non-zero exit.

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
import sys
from collections.abc import Iterator

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf.errors import ConfigAttributeError, ConfigKeyError

from framework.errors import FrameworkError

# Exit status for errors in the user's input (configs, overrides, plugins).
USER_ERROR_EXIT_CODE = 2

_USER_ERRORS = (FrameworkError, ConfigCompositionException, MissingConfigException, OverrideParseException)


@contextlib.contextmanager
def report_user_errors() -> Iterator[None]:
    wants_traceback = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    except _USER_ERRORS as error:
        if wants_traceback:
            raise
        sys.stderr.write(f"Error: {explain(error)}\n")
        sys.exit(USER_ERROR_EXIT_CODE)
    finally:
        if not wants_traceback:
            del os.environ["HYDRA_FULL_ERROR"]


def explain(error: Exception) -> str:
    """The user-facing paragraph for a user error."""
    if isinstance(error, MissingConfigException) and error.options is not None:
        return _explain_missing_option(error)
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
    override = re.search(r"use \+(\S+)", str(error))
    full_key = getattr(cause, "full_key", None) or "?"
    parent, _, key = str(full_key).rpartition(".")
    node = getattr(cause, "parent_node", None)
    known = [str(k) for k in node.keys()] if node is not None else []
    where = parent or "the top level"
    message = (
        f"{override.group(1) if override else full_key}: '{key}' is not a key of {where}. "
        f"Valid keys: {', '.join(known)}."
    )
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        message += f" Did you mean {f'{parent}.' if parent else ''}{close[0]}?"
    return message + " To add a new key on purpose, prefix the override with '+'."
