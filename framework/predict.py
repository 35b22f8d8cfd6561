"""`python -m framework.predict run=<run dir> x=[1.0,2.0]`: a trained run's predictions.

Examples come from the command line (`x=[1.0,2.0]`: one example per value
for a one-feature model; `x=[[1,2],[3,4]]`: one row per example), a CSV file
(`csv=data.csv`: one example per row; with a header, a run trained on a CSV
file finds its input columns by name, in any order, other columns ignored),
a NumPy file (`npz=images.npz`, array `npz_key`, examples of any shape) or
images (`images=photo.png` or a folder, resized as the run's images were).
Predictions print as CSV on stdout (or into `output=<file>`): the inputs'
columns, then for a classifier the class and each class's probability.
Arguments are `key=value` pairs, values in YAML syntax as in Hydra
overrides. The modules the run imported (its `plugins=[...]`) are imported
again, read from the run's own config.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
from omegaconf import OmegaConf

from framework.config.trained_run import check_finished_run
from framework.config.user_errors import report_user_errors
from framework.errors import InputError
from framework.inference.classes import Classes, class_probabilities, saved_classes
from framework.inference.examples import Examples
from framework.registry.schema import ComponentConfig, validate_fields
from framework.start_up import freeze_before_exit, loading_tensorflow

USAGE = (
    "python -m framework.predict run=<run dir> x=[1.0,2.0] | csv=<file> | npz=<file> | images=<file or folder> "
    "[output=<file>] [plugins=[module]]"
)
_SOURCES = ("x", "csv", "npz", "images")

__all__ = ["Classes", "PredictArguments", "class_probabilities", "format_predictions", "main", "predict", "saved_classes"]


class PredictArguments(ComponentConfig):
    """Attributes:
    run: A finished run's directory (it holds the trained model).
    x: Examples: a list of numbers (one-feature models: one example each;
        wider models: one example) or a list of rows.
    csv: A CSV file with one example per row; a first line that is not
        numbers is a header, and a run trained on a CSV file takes its
        columns from it by name (any order; other columns are ignored).
    npz: A NumPy .npz (or .npy) file whose array holds one example per entry
        of its first axis, in the shape the model takes.
    npz_key: The array of the .npz to read; null: its only array, or `x`.
    images: An image file, or a folder of images (subfolders included), for
        a model trained on images; each is resized as in training.
    output: Writes the predictions (CSV) into this file instead of printing them.
    plugins: Modules to import so the model's plugin layers load.
    """

    run: Path
    x: list[float] | list[list[float]] | None = None
    csv: Path | None = None
    npz: Path | None = None
    npz_key: str | None = None
    images: Path | None = None
    output: Path | None = None
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


def predict(arguments: PredictArguments) -> tuple[Examples, np.ndarray]:
    """Loads the run's model and returns its examples and predictions ([N, outputs])."""
    check_finished_run(arguments.run, "run")  # before TensorFlow loads
    with loading_tensorflow():
        from framework.inference import examples as read
        from framework.layers.categorical_inputs import categorical_columns
        from framework.saving import load_run_model, saved_feature_names

    model = load_run_model(arguments.run, plugins=tuple(arguments.plugins))
    shape, names = model_input_shape(model), saved_feature_names(arguments.run)
    categories = categorical_columns(model)  # their vocabularies, saved in the model
    if arguments.x is not None:
        examples = read.from_rows(arguments.x, shape, names, categories)
    elif arguments.csv is not None:
        examples = read.read_csv(arguments.csv, shape, names, categories)
    elif arguments.npz is not None:
        examples = read.read_npz(arguments.npz, arguments.npz_key, shape)
    else:
        examples = read.read_images(arguments.images, shape)
    predictions = np.asarray(model.predict(examples.x, verbose=0), dtype=np.float32)
    return examples, predictions.reshape(len(examples.x), -1)


def model_input_shape(model) -> tuple[int, ...]:
    """The shape of one example the model takes (no batch axis)."""
    try:
        shape = model.input_shape  # functional models and built stacks
    except (AttributeError, ValueError):
        shape = model.get_build_config()["input_shape"]  # subclassed models (the linear one)
    return tuple(int(size) for size in shape[1:])


def format_predictions(examples: Examples, predictions: np.ndarray, classes: Classes | None = None) -> str:
    """CSV text, one row per example: its columns, then the predictions; for a
    classifier the predicted class name and each class's probability."""
    if classes is not None:
        probabilities = class_probabilities(predictions, len(classes.names), classes.from_logits)
        header = [*examples.columns, "class", *(f"p_{name}" for name in classes.names)]
        rows = [[classes.names[int(p.argmax())], *(f"{value:.6g}" for value in p)] for p in probabilities]
    else:
        header = [*examples.columns, *(["prediction"] if predictions.shape[1] == 1 else [f"prediction{i}" for i in range(predictions.shape[1])])]
        rows = [[f"{value:.6g}" for value in y] for y in predictions]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([*label, *row] for label, row in zip(examples.labels, rows))
    return text.getvalue().rstrip("\n")


def parse_arguments(argv: Sequence[str]) -> PredictArguments:
    """`key=value` strings (and `--output FILE`) -> validated arguments."""
    argv = _output_flag(list(argv))
    for argument in argv:
        if "=" not in argument:
            raise InputError(f"'{argument}' is not a key=value argument. Usage: {USAGE}")
    fields = OmegaConf.to_container(OmegaConf.from_dotlist(argv))
    arguments = PredictArguments(**validate_fields(PredictArguments, fields, "", "framework.predict"))
    given = [name for name in _SOURCES if getattr(arguments, name) is not None]
    if len(given) != 1:
        raise InputError(
            f"Pass the examples as exactly one of x=[...], csv=<file>, npz=<file> or images=<file or folder>"
            f"{f' (received {given[0]} and {given[1]})' if len(given) > 1 else ''}. Usage: {USAGE}"
        )
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
            text = format_predictions(examples, predictions, saved_classes(arguments.run))
            if arguments.output is None:
                print(text)
            else:
                _write(arguments.output, text + "\n")
                sys.stderr.write(f"{len(predictions)} prediction(s) written to {arguments.output}\n")
    finally:
        freeze_before_exit()


def help_text() -> str:
    """`--help`: the usage, this module's description and each argument's, from PredictArguments' docs."""
    arguments = PredictArguments.__doc__.split("Attributes:", 1)[1]
    return f"usage: {USAGE}\n\n{__doc__.split(chr(10), 1)[1].strip()}\n\narguments:{arguments.rstrip()}"


def _output_flag(argv: list[str]) -> list[str]:
    """`--output FILE` and `--output=FILE` as `output=FILE`."""
    result, arguments = [], iter(argv)
    for argument in arguments:
        if argument == "--output":
            file = next(arguments, None)
            if file is None:
                raise InputError(f"--output needs a file: --output predictions.csv. Usage: {USAGE}")
            result.append(f"output={file}")
        else:
            result.append(argument.removeprefix("--"))  # --output=FILE
    return result


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError as error:
        raise InputError(f"output={path}: cannot write the predictions there: {error.strerror or error}.") from None
    finally:
        temporary.unlink(missing_ok=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


if __name__ == "__main__":
    main()
