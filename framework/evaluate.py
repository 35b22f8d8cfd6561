"""`python -m framework.evaluate run=<run dir> data=csv data.path=new.csv`: a trained run scored on any data.

The run's loss and metrics on a data source: the run's own data section,
changed by `data=<option>` and `data.<key>=...` overrides as in training
(`data.path=`, `data.target=`, ...). `split=all` (the default) scores every
example of the source; `split=test` (or train, validation) the source's own
part, e.g. the run's held-out test split again. The result prints as JSON
and is kept beside the run, in `<run dir>/evaluations/<data>-<split>-<digest>.json`
(or in `output=<file>`); the run's own results never change. Exit status 2
for bad input, as framework.predict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pydantic
from omegaconf import OmegaConf

from framework.config.trained_run import check_finished_run
from framework.config.user_errors import report_user_errors
from framework.errors import InputError
from framework.registry.schema import ComponentConfig, validate_fields
from framework.run_directory import RunDirectory
from framework.start_up import freeze_before_exit, loading_tensorflow

USAGE = "python -m framework.evaluate run=<run dir> [data=<option>] [data.<key>=<value> ...] [split=all|train|validation|test] [output=<file>]"


class EvaluateArguments(ComponentConfig):
    """Attributes:
    run: A finished run's directory (it holds the trained model).
    split: all scores every example of the data; train, validation or test the
        data's own part (its data.val_fraction, data.test_fraction).
    output: Writes the result (JSON) here instead of beside the run.
    plugins: Modules to import so the model's plugin layers and the data source load.
    """

    run: Path
    split: Literal["all", "train", "validation", "test"] = "all"
    output: Path | None = None
    plugins: list[str] = pydantic.Field(default_factory=list)


def parse_arguments(argv: Sequence[str]) -> tuple[EvaluateArguments, list[str]]:
    """`key=value` strings -> the validated arguments and the data overrides (`data=...`, `data.<key>=...`)."""
    for argument in argv:
        if "=" not in argument:
            raise InputError(f"'{argument}' is not a key=value argument. Usage: {USAGE}")
    data = [argument for argument in argv if argument.startswith(("data=", "data."))]
    own = [argument for argument in argv if argument not in data]
    fields = OmegaConf.to_container(OmegaConf.from_dotlist(own))
    return EvaluateArguments(**validate_fields(EvaluateArguments, fields, "", "framework.evaluate")), data


def main(argv: Sequence[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if {"-h", "--help"} & set(argv):
        print(help_text())
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out
    try:
        with report_user_errors():
            arguments, data = parse_arguments(argv)
            check_finished_run(arguments.run, "run")
            from framework.inference.evaluation import evaluation_config

            cfg = evaluation_config(arguments.run, data, arguments.split)  # before TensorFlow loads
            with loading_tensorflow():  # Keras and its backend, whose C-side start-up lines go to the run log
                import keras  # noqa: F401

                from framework.inference.evaluation import evaluate_run
            evaluation = evaluate_run(arguments.run, cfg, arguments.split, tuple(arguments.plugins))
            path = arguments.output or RunDirectory(arguments.run).evaluation(evaluation.name)
            try:
                evaluation.write(path)
            except OSError as error:
                raise InputError(
                    f"cannot write the evaluation to {path}: {error.strerror or error}. Pass output=<file> somewhere writable."
                ) from None
            print(evaluation.to_json(), end="")
            sys.stderr.write(f"Written to {path}\n")
    finally:
        freeze_before_exit()


def help_text() -> str:
    """`--help`: the usage, this module's description and each argument's."""
    arguments = EvaluateArguments.__doc__.split("Attributes:", 1)[1]
    return f"usage: {USAGE}\n\n{__doc__.split(chr(10), 1)[1].strip()}\n\narguments:{arguments.rstrip()}"


if __name__ == "__main__":
    main()
