"""`validation_sets`: extra validation data by name, each the run's data config with some keys replaced.

    validation_sets:
      shifted: {path: shifted.csv}          # the same columns, another file
      fresh: {seed: 7}                      # generated data: another draw
      archive: {name: parquet, path: old.parquet}

A set reads every example of its source (no split, no shuffling, no
normalizer of its own: the model's normalizer, adapted on the training data,
applies to it as to the training data). Keys of the run's `data` config that
the set's source also takes are carried over, so a set names only what
differs. Its values are logged as `val_<name>_loss` and `val_<name>_<metric>`
(`validation_set_values`), next to Keras's `val_loss`, so every monitor and
the sweep objective can name them.

Plan-time checks (names, each set's data config) are here and in
`resolve_validation_sets`; the checks that need the built sources (the same
features and targets as the training data, at least one example) are in
`check_validation_sets`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from framework.errors import ConfigError, raise_together
from framework.registry import DATA, Resolved

VALUES_PREFIX = "val_"
# What makes a set "all of the examples, as they are": the source's own split, order and normalizer are off.
_WHOLE_SOURCE = {"val_fraction": 0.0, "test_fraction": 0.0, "shuffle": False, "normalize": False}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def set_value_name(set_name: str, value: str) -> str:
    """The logged name of validation set `set_name`'s `value` (loss, accuracy...): val_<set>_<value>."""
    return f"{VALUES_PREFIX}{set_name}_{value}"


def validation_set_values(train_values: Sequence[str], set_names: Sequence[str]) -> list[str]:
    """The logged values of the sets `set_names` for a run whose training values are
    `train_values` (loss, then the metrics), set by set."""
    return [set_value_name(name, value) for name in set_names for value in train_values]


def resolve_validation_sets(sets: Mapping[str, Any], data: Resolved) -> dict[str, Resolved]:
    """Each set's data config (the run's `data` with the set's keys replaced), resolved and
    validated as the run's data is; builds nothing.

    Raises:
        ConfigError: A set's name is not a plain word, its value is not a mapping of data
            keys, or its data config is invalid (every problem at once).
    """
    resolved, problems = {}, []
    for name, keys in sets.items():
        where = f"validation_sets.{name}"
        try:
            _check_name(str(name))
            if not isinstance(keys, Mapping):
                raise ConfigError(
                    f"{where}: expected a mapping of data keys that differ from the run's data, "
                    f"e.g. validation_sets={{{name}: {{path: {name}.csv}}}}. Received: {keys!r}."
                )
            resolved[str(name)] = DATA.resolve(_set_config(data, keys, where), where=where)
        except ConfigError as error:
            problems.append(error)
    raise_together(problems)
    return resolved


def check_validation_sets(sets: Mapping[str, Any], data: Any) -> None:
    """Each built set has examples, and the training data's inputs and targets.

    Raises:
        ConfigError: A set is empty, or its features, input shape or targets differ from the training data's.
    """
    for name, source in sets.items():
        where = f"validation_sets.{name}"
        if not source.num_train_examples:
            raise ConfigError(f"{where}: the set holds no examples; give it a file with examples, or remove it from validation_sets.")
        if data.feature_names is not None and source.feature_names is not None and source.feature_names != data.feature_names:
            raise ConfigError(
                f"{where}: its features are {list(source.feature_names)}, but the model is trained on "
                f"{list(data.feature_names)} (data.features). Give the set the same columns, or name them "
                f"in the training data's order: validation_sets.{name}.features=[{','.join(data.feature_names)}]."
            )
        if source.input_shape != data.input_shape:
            raise ConfigError(
                f"{where}: its inputs have shape {source.input_shape} per example, but the training data's have "
                f"{data.input_shape}. A validation set needs the training data's features."
            )
        _check_targets(where, source, data)


def check_sets_split_evenly(sets: Mapping[str, Any], distribution: str, devices: int) -> None:
    """Under a distribution that splits every batch evenly over `devices`, each set's last batch does too.

    Raises:
        ConfigError: A set's last batch holds a number of examples `devices` does not divide.
    """
    for name, source in sets.items():
        last = source.num_train_examples % source.batch_size
        if last % devices:
            raise ConfigError(
                f"distribution={distribution} splits every batch evenly over its {devices} devices, but the last batch of "
                f"validation_sets.{name} holds {last} examples ({source.num_train_examples} examples in batches of "
                f"{source.batch_size}, data.batch_size). Give the set a number of examples that leaves a last batch "
                f"divisible by {devices} (or none), e.g. with validation_sets.{name}.num_examples, or train on fewer devices."
            )


def _check_targets(where: str, source: Any, data: Any) -> None:
    if (source.class_names is None) != (data.class_names is None) or (
        data.class_names is None and source.target_shape != data.target_shape
    ):
        kind = {True: "numbers to predict", False: "class labels"}
        raise ConfigError(
            f"{where}: its targets are {kind[source.class_names is None]} of shape {source.target_shape}, but the "
            f"training data's are {kind[data.class_names is None]} of shape {data.target_shape}. A validation set "
            f"needs the training data's target column(s) and kind (data.target, data.target_type)."
        )
    unknown = sorted(set(source.class_names or ()) - set(data.class_names or ()))
    if unknown:
        raise ConfigError(
            f"{where}: its classes {unknown} are not among the training data's ({', '.join(data.class_names)}); "
            f"the model has no output for them. Remove those examples from the set, or train on data that has them."
        )


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ConfigError(
            f"validation_sets.{name}: a set's name becomes part of its logged values (val_<name>_loss), so it "
            f"must be letters, digits and underscores, starting with a letter (e.g. shifted, segment_2). Received: {name!r}."
        )


def _set_config(data: Resolved, keys: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The set's data config: the run's data keys its source also takes, the set's own, and the whole source."""
    source = keys.get("name", data.entry.key)
    taken = DATA.get(source, where=f"{where}.name").config
    carried = {key: value for key, value in data.kwargs.items() if taken is None or key in taken.model_fields}
    fixed = sorted(keys.keys() & _WHOLE_SOURCE.keys())
    if fixed:
        raise ConfigError(
            f"{where}.{fixed[0]}: a validation set reads every example of its source as it is "
            f"({', '.join(f'{k}={v}' for k, v in _WHOLE_SOURCE.items())}), so it takes no '{fixed[0]}'. Remove it."
        )
    return {**carried, **keys, "name": source, **_WHOLE_SOURCE}
