"""Validates component arguments against their pydantic config models.

pydantic does the checking (types, ranges, unknown keys); this module only
turns its findings into messages that name the full config path, the value
received, what was expected and how to fix it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import pydantic

from framework.errors import ConfigError
from framework.registry.did_you_mean import closest

# The widest integer TensorFlow takes (int64): a larger one fails inside an op, not here.
INT64_MAX = 2**63 - 1


class ComponentConfig(pydantic.BaseModel):
    """Base for component config models: unknown keys are errors, values are checked.

    Beyond each field's own type and range, every model refuses what a
    TensorFlow op cannot take: booleans where numbers are expected (YAML's
    `true` is not 1), numbers where a boolean is, integers outside int64 and
    NaN or infinite floats.
    """

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        annotation = cls.model_fields[info.field_name].annotation
        if annotation is bool and not isinstance(value, bool):
            raise ValueError("expected true or false")
        for number in value if isinstance(value, list) and _is_list(annotation) else [value]:
            if isinstance(number, bool) and _takes_numbers(annotation):
                raise ValueError(f"expected a number, not the boolean {str(number).lower()}")
            if isinstance(number, int) and not isinstance(number, bool) and abs(number) > INT64_MAX:
                raise ValueError(f"expected an integer TensorFlow can hold, between -{INT64_MAX} and {INT64_MAX}")
        return value


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
        raise ConfigError(f"Invalid config for {what}: " + " ".join(_describe_all(error.errors(), schema, where))) from None
    return {name: getattr(validated, name) for name in type(validated).model_fields}


def _describe_all(problems: list[Mapping[str, Any]], schema: type[pydantic.BaseModel], where: str) -> list[str]:
    """One sentence per config key. pydantic reports a value that fits no member of a union
    once per member, under locations naming its validators (`function-after[...]`); those
    are its internals, so the members' complaints become one sentence about the key."""
    by_key: dict[tuple, list[Mapping[str, Any]]] = {}
    for problem in problems:
        location = tuple(part for part in problem["loc"] if isinstance(part, int) or str(part).isidentifier())
        by_key.setdefault(location, []).append({**problem, "loc": location})
    sentences = []
    for location, group in by_key.items():
        if len(group) == 1 or group[0]["type"] in ("extra_forbidden", "missing"):
            sentences.append(_describe(group[0], schema, where))
            continue
        expected = " or ".join(dict.fromkeys(_expected(problem) for problem in group))
        sentences.append(_describe({**group[0], "msg": expected}, schema, where))
    return sentences


def _expected(problem: Mapping[str, Any]) -> str:
    message = problem["msg"].removeprefix("Value error, ")
    return message[0].lower() + message[1:]


def _members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _is_list(annotation: Any) -> bool:
    return any(typing.get_origin(member) is list for member in _members(annotation))


def _takes_numbers(annotation: Any) -> bool:
    """Whether `annotation` (or a list of it) takes numbers but not booleans."""
    flat = [typing.get_args(m)[0] if typing.get_origin(m) is list else m for m in _members(annotation)]
    flat = [m.__origin__ if typing.get_origin(m) is typing.Annotated else m for m in flat]
    return bool not in flat and any(m in (int, float) for m in flat)


def _describe(problem: Mapping[str, Any], schema: type[pydantic.BaseModel], where: str) -> str:
    location = ".".join(str(part) for part in problem["loc"])
    key = ".".join(part for part in (where, location) if part) or "the config"
    received = problem.get("input")
    known = list(schema.model_fields)
    if received == "???":  # OmegaConf's mark of a value the config leaves to the user
        return f"{key} is not set: the config leaves it to you. Set it on the command line ({key}=...) or in a config."
    if problem["type"] == "extra_forbidden":
        close = closest(location, known)
        hint = f" Did you mean {'.'.join(part for part in (where, close) if part)}?" if close else ""
        return f"{key}={received!r} is not a known key; expected one of: {', '.join(known)}.{hint}"
    if problem["type"] == "missing":
        return f"{key} is missing; set it in the config or on the command line ({key}=...)."
    expected = _expected(problem)
    if not problem["loc"]:  # a check across several fields: its message names them
        return f"{key}: {expected}."
    return f"{key}={received!r} is invalid: {expected}. Pass a valid {key}."
