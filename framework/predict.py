"""`python -m framework.predict run=<run dir> x=[1.0,2.0]`: a trained run's predictions.

Examples come from the command line (`x=[1.0,2.0]`: one example per value
for a one-feature model; `x=[[1,2],[3,4]]`: one row per example) or from a
CSV file (`csv=data.csv`: one example per row, an optional header line).
Predictions print as CSV on stdout. Arguments are `key=value` pairs, values
in YAML syntax as in Hydra overrides. The modules the run imported
(its `plugins=[...]`) are imported again, read from the run's own config.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
from omegaconf import OmegaConf

from framework.config.schema import ComponentConfig, validate_fields
from framework.config.user_errors import report_user_errors
from framework.errors import InputError
from framework.run_directory import RunDirectory
from framework.start_up import freeze_before_exit, loading_tensorflow

USAGE = "python -m framework.predict run=<run dir> x=[1.0,2.0] | csv=<file> [plugins=[module]]"


class PredictArguments(ComponentConfig):
    """Attributes:
    run: A finished run's directory (it holds the trained model).
    x: Examples: a list of numbers (one-feature models: one example each;
        wider models: one example) or a list of rows.
    csv: A CSV file with one example per row; a first line that is not
        numbers is read as a header.
    plugins: Modules to import so the model's plugin layers load.
    """

    run: Path
    x: list[float] | list[list[float]] | None = None
    csv: Path | None = None
    plugins: list[str] = pydantic.Field(default_factory=list)

    @pydantic.field_validator("x", mode="before")
    @classmethod
    def _numbers_or_rows(cls, value: Any) -> Any:
        # Said in the command line's terms; pydantic would name both branches of the union.
        if value is None:
            return value
        rows = value if isinstance(value, list) else None
        if rows is None or not all(_is_number(v) for v in rows) and not all(
            isinstance(row, list) and all(_is_number(v) for v in row) for row in rows
        ):
            raise ValueError(
                "expected a list of numbers, one example per number (x=[1.0,2.5]), or a list of rows, "
                "one example per row ('x=[[1,2],[3,4]]')"
            )
        return value


def predict(arguments: PredictArguments) -> tuple[np.ndarray, np.ndarray]:
    """Loads the run's model and returns (examples, predictions) as 2-D arrays."""
    model_path = _model_path(arguments.run)
    rows = _read_csv(arguments.csv) if arguments.csv is not None else arguments.x

    with loading_tensorflow():  # TensorFlow loads only for valid arguments
        from framework.saving import load_model

    model = load_model(model_path, (*_run_plugins(arguments.run), *arguments.plugins))
    features = model.get_build_config()["input_shape"][-1]
    examples = _examples(rows, features, "csv" if arguments.csv is not None else "x")
    predictions = model.predict(examples, verbose=0)
    return examples, np.asarray(predictions, dtype=np.float32).reshape(len(examples), -1)


def format_predictions(examples: np.ndarray, predictions: np.ndarray, classes: Classes | None = None) -> str:
    """CSV text, one row per example: its features, then the predictions; for a
    classifier the predicted class name and each class's probability."""
    x_names = ["x"] if examples.shape[1] == 1 else [f"x{i}" for i in range(examples.shape[1])]
    if classes is not None:
        probabilities = class_probabilities(predictions, len(classes.names), classes.from_logits)
        lines = [",".join([*x_names, "class", *(f"p_{name}" for name in classes.names)])]
        for x, p in zip(examples, probabilities):
            lines.append(",".join([*(f"{value:.6g}" for value in x), classes.names[int(p.argmax())], *(f"{value:.6g}" for value in p)]))
        return "\n".join(lines)
    y_names = ["prediction"] if predictions.shape[1] == 1 else [f"prediction{i}" for i in range(predictions.shape[1])]
    lines = [",".join(x_names + y_names)]
    for x, y in zip(examples, predictions):
        lines.append(",".join(f"{value:.6g}" for value in (*x, *y)))
    return "\n".join(lines)


def class_probabilities(scores: np.ndarray, num_classes: int, from_logits: bool) -> np.ndarray:
    """Each class's probability from a classifier's outputs: logits (the run's
    loss.from_logits) through softmax, or through the sigmoid for one output of
    two classes; probabilities as they are."""
    scores = scores.astype(np.float64)
    if scores.shape[1] == 1 and num_classes == 2:
        positive = 1 / (1 + np.exp(-scores[:, 0])) if from_logits else scores[:, 0]
        return np.stack([1 - positive, positive], axis=1)
    if not from_logits:
        return scores
    exponentials = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Classes:
    """What a classifier run saved about its outputs.

    Attributes:
        names: The class names, in the order of the model's outputs.
        from_logits: Whether the outputs are logits (the run's loss.from_logits).
    """

    names: list[str]
    from_logits: bool


def saved_classes(run_dir: Path) -> Classes | None:
    """The classes of a classifier run; None for other runs."""
    path = RunDirectory(run_dir).class_names
    return Classes(**json.loads(path.read_text())) if path.is_file() else None


def parse_arguments(argv: Sequence[str]) -> PredictArguments:
    """`key=value` strings -> validated arguments."""
    for argument in argv:
        if "=" not in argument:
            raise InputError(f"'{argument}' is not a key=value argument. Usage: {USAGE}")
    fields = OmegaConf.to_container(OmegaConf.from_dotlist(list(argv)))
    arguments = PredictArguments(**validate_fields(PredictArguments, fields, "", "framework.predict"))
    if (arguments.x is None) == (arguments.csv is None):
        raise InputError(f"Pass the examples as exactly one of x=[...] or csv=<file>. Usage: {USAGE}")
    return arguments


def main(argv: Sequence[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if {"-h", "--help"} & set(argv):
        print(help_text())
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out
    try:
        with report_user_errors():
            arguments = parse_arguments(argv)
            examples, predictions = predict(arguments)
            print(format_predictions(examples, predictions, saved_classes(arguments.run)))
    finally:
        freeze_before_exit()


def help_text() -> str:
    """`--help`: the usage, this module's description and each argument's, from PredictArguments' docs."""
    arguments = PredictArguments.__doc__.split("Attributes:", 1)[1]
    return f"usage: {USAGE}\n\n{__doc__.split(chr(10), 1)[1].strip()}\n\narguments:{arguments.rstrip()}"


def _run_plugins(run_dir: Path) -> list[str]:
    """The `plugins` the run was trained with, from its saved config (none if it has no record)."""
    saved = RunDirectory(run_dir).saved_config
    return list(OmegaConf.load(saved).get("plugins", [])) if saved.is_file() else []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _model_path(run_dir: Path) -> Path:
    if not run_dir.is_dir():
        raise InputError(
            f"run={run_dir}: no such directory. Pass the directory of a finished run, "
            f"e.g. run=outputs/2024-01-31/12-00-00 (it holds the trained model)."
        )
    path = RunDirectory(run_dir).model
    if not path.is_file():
        raise InputError(f"run={run_dir}: there is no {path.name} in it. Did the run finish? Train it again.")
    return path


def _read_csv(path: Path) -> list[list[float]]:
    try:
        with open(path, newline="") as file:
            lines = [row for row in csv.reader(file) if row]
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"csv={path}: cannot read the file: {error}.") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            rows.append([float(value) for value in line])
        except ValueError:
            if number == 1:
                continue  # a header line
            raise InputError(
                f"csv={path}, line {number}: expected numbers separated by commas. Received: {','.join(line)!r}."
            ) from None
    if not rows:
        raise InputError(f"csv={path}: the file holds no examples; write one row of numbers per example.")
    return rows


def _examples(rows: list[float] | list[list[float]], features: int, where: str) -> np.ndarray:
    """Rows of `features` numbers; a flat list is one example per value for a
    one-feature model, else one example."""
    if not rows:
        raise InputError(f"{where}: no examples given; pass at least one, e.g. x=[1.0].")
    if not isinstance(rows[0], list):
        rows = [[value] for value in rows] if features == 1 else [rows]
    for number, row in enumerate(rows, start=1):
        if len(row) != features:
            raise InputError(
                f"{where}: example {number} has {len(row)} value(s) but the model takes {features} "
                f"feature(s) per example. Give each example {features} number(s)."
            )
    return np.array(rows, dtype=np.float32).reshape(-1, features)


if __name__ == "__main__":
    main()
