"""Validates component arguments against their pydantic config models.

pydantic does the checking (types, ranges, unknown keys); this module only
turns its findings into messages that name the full config path, the value
received, what was expected and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import pydantic

from framework.errors import ConfigError


class ComponentConfig(pydantic.BaseModel):
    """Base for component config models: unknown keys are errors, values are checked."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


def validate_fields(
    schema: type[pydantic.BaseModel], fields: Mapping[str, Any], where: str, what: str
) -> dict[str, Any]:
    """Returns `fields` validated (and coerced) by `schema`, or raises ConfigError.

    Args:
        schema: The pydantic model describing the component's arguments.
        fields: The arguments from the config.
        where: The config path of `fields`, e.g. "data".
        what: The component in words, e.g. "data source 'linear'".
    """
    try:
        validated = schema.model_validate(dict(fields))
    except pydantic.ValidationError as error:
        problems = [_describe(problem, schema, where) for problem in error.errors()]
        raise ConfigError(f"Invalid config for {what}: " + " ".join(problems)) from None
    return {name: getattr(validated, name) for name in type(validated).model_fields}


def _describe(problem: Mapping[str, Any], schema: type[pydantic.BaseModel], where: str) -> str:
    location = ".".join(str(part) for part in problem["loc"])
    key = ".".join(part for part in (where, location) if part) or "the config"
    received = problem.get("input")
    known = list(schema.model_fields)
    if problem["type"] == "extra_forbidden":
        close = difflib.get_close_matches(location, known, n=1, cutoff=0.6)
        hint = f" Did you mean {'.'.join(part for part in (where, close[0]) if part)}?" if close else ""
        return f"{key}={received!r} is not a known key; expected one of: {', '.join(known)}.{hint}"
    if problem["type"] == "missing":
        return f"{key} is missing; set it in the config or on the command line ({key}=...)."
    expected = problem["msg"].removeprefix("Value error, ")
    if not problem["loc"]:  # a check across several fields: its message names them
        return f"{key}: {expected}."
    return f"{key}={received!r} is invalid: {expected[0].lower()}{expected[1:]}. Pass a valid {key}."
