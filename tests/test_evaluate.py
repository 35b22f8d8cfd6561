"""`python -m framework.evaluate`: a finished run's loss and metrics on any data, its own results untouched."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.data_files import IRIS_COLUMNS, iris_csv
from helpers.runs import run_in

from framework.errors import ConfigError, InputError
from framework.evaluate import main, parse_arguments
from framework.inference.evaluation import evaluate_run, evaluation_config

CSV_CLASSIFIER = (
    "data=csv", "data.target=species", "data.normalize=true", "data.batch_size=16", "data.test_fraction=0.2",
    "model=sequential", "model.layers=[{name: dense, units: 16, activation: relu}, {name: dense, units: 3}]",
    "loss=sparse_categorical_crossentropy", "loss.from_logits=true", "metrics=[accuracy]", "optimizer=adam",
    "optimizer.learning_rate=0.02", "epochs=15", "logger=none", "verbose=0", "plots=false",
)


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """A finished run with the record of its config that Hydra writes (.hydra/config.yaml)."""
    from omegaconf import OmegaConf

    from framework.config import compose
    from framework.run_directory import RunDirectory

    folder = tmp_path_factory.mktemp("iris")
    overrides = (*CSV_CLASSIFIER, f"data.path={iris_csv(folder / 'iris.csv')}")
    result = run_in(folder / "run", *overrides)
    saved = RunDirectory(result.run_dir).saved_config
    saved.parent.mkdir()
    OmegaConf.save(compose(overrides), saved)
    return result


def _evaluate(run, *arguments):
    parsed, data = parse_arguments([f"run={run.run_dir}", *arguments])
    return evaluate_run(parsed.run, evaluation_config(parsed.run, data, parsed.split), parsed.split)


def _files(run_dir):
    return {path.relative_to(run_dir): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(Path(run_dir).rglob("*")) if path.is_file() and "evaluations" not in path.parts}


def test_the_runs_own_test_split_scores_as_the_run_reported(iris_run):
    evaluation = _evaluate(iris_run, "split=test")
    assert evaluation.examples == 30
    assert evaluation.metrics["loss"] == pytest.approx(iris_run.metrics["test_loss"], abs=1e-5)
    assert evaluation.metrics["accuracy"] == pytest.approx(iris_run.metrics["test_accuracy"], abs=1e-5)


def test_a_csv_of_two_of_the_classes_in_another_column_order_is_scored_by_class_name(iris_run, tmp_path, capsys):
    path = iris_csv(tmp_path / "two.csv", species=("versicolor", "virginica"), columns=("species", *reversed(IRIS_COLUMNS)))
    before = _files(iris_run.run_dir)
    main([f"run={iris_run.run_dir}", f"data.path={path}"])
    printed = json.loads(capsys.readouterr().out)
    # Its class ids 0, 1 are the run's 1, 2: read by name, the model scores as well as on the training file.
    assert printed["examples"] == 100 and printed["split"] == "all" and printed["metrics"]["accuracy"] > 0.9
    assert printed["data"]["path"] == path and printed["data"]["val_fraction"] == printed["data"]["test_fraction"] == 0
    kept = list(Path(iris_run.run_dir, "evaluations").glob("csv-all-*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == printed
    assert _files(iris_run.run_dir) == before  # the run's own results never change


def test_another_data_option_replaces_the_runs_data_section(iris_run):
    evaluation = _evaluate(iris_run, "data=iris")  # the bundled iris set: the same four features
    assert evaluation.data["name"] == "iris" and evaluation.examples == 150 and evaluation.metrics["accuracy"] > 0.9


@pytest.mark.parametrize("arguments, error, message", [
    (["data.pth=x.csv"], ConfigError, r"data.pth='x.csv' is not a known key; expected one of: .*Did you mean data.path\?"),
    (["split=validation", "data.val_fraction=0"], InputError, r"split=validation: the data holds no validation examples \(data.val_fraction=0\)"),
    (["split=sometimes"], ConfigError, r"split='sometimes' is invalid: input should be 'all', 'train', 'validation' or 'test'"),
    (["data.path={tmp}/roses.csv"], InputError, r"the data holds the class\(es\) rose, which the run's model does not know \(its classes: setosa, versicolor, virginica\)"),
    (["data.path={tmp}/roses.csv", "data.features=[sepal_length]"], InputError,
     r"data: the run was trained on the columns sepal_length, sepal_width, petal_length, petal_width, but the data has no column 'sepal_width', "),
    (["data=digits"], InputError, r"data: its examples have shape \(8, 8, 1\), but the run's model takes \(4,\)"),
])
def test_data_that_cannot_be_scored_is_a_clear_error(iris_run, tmp_path, arguments, error, message):
    (tmp_path / "roses.csv").write_text("sepal_length,sepal_width,petal_length,petal_width,species\n" + "5,3,1,0.2,rose\n" * 4)
    with pytest.raises(error, match=message):
        _evaluate(iris_run, *(argument.format(tmp=tmp_path) for argument in arguments))


def test_bad_input_exits_2_with_one_error_line(iris_run, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main([f"run={tmp_path}/none", "data.path=x.csv"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("Error: run=") and "no such directory" in err and "Traceback" not in err


@pytest.mark.slow
def test_the_command_prints_json_and_keeps_it_beside_the_run(iris_run, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "framework.evaluate", f"run={iris_run.run_dir}", "split=test", f"output={tmp_path / 'score.json'}"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == json.loads((tmp_path / "score.json").read_text())
    assert json.loads(out.stdout)["metrics"]["loss"] == pytest.approx(iris_run.metrics["test_loss"], abs=1e-5)
    assert f"Written to {tmp_path / 'score.json'}" in out.stderr
