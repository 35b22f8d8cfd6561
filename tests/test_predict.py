"""`python -m framework.predict`: a saved run answers for values and CSV files."""

import os
import subprocess
import sys

import numpy as np
import pytest

from framework.errors import ConfigError, InputError
from framework.predict import format_predictions, parse_arguments, predict


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    from framework.config import compose
    from framework.run import run

    cfg = compose(["epochs=3", "logger=none"])
    return run(cfg, tmp_path_factory.mktemp("trained"))


def _line(result, x):
    return result.variables["linear/W"] * x + result.variables["linear/b"]


def test_values_on_the_command_line_are_one_example_each(trained_run):
    examples, predictions = predict(parse_arguments([f"run={trained_run.run_dir}", "x=[1.0,-2.5]"]))
    np.testing.assert_allclose(predictions[:, 0], [_line(trained_run, 1.0), _line(trained_run, -2.5)], rtol=1e-5)
    text = format_predictions(examples, predictions)
    assert text.splitlines()[0] == "x,prediction" and text.splitlines()[2].startswith("-2.5,")


def test_a_csv_file_with_a_header_is_one_example_per_row(trained_run, tmp_path):
    path = tmp_path / "inputs.csv"
    path.write_text("x\n0.5\n\n2\n")
    examples, predictions = predict(parse_arguments([f"run={trained_run.run_dir}", f"csv={path}"]))
    assert examples[:, 0].tolist() == [0.5, 2.0]
    np.testing.assert_allclose(predictions[:, 0], [_line(trained_run, 0.5), _line(trained_run, 2.0)], rtol=1e-5)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["run=/no/such/run", "x=[1.0]"], r"run=/no/such/run: no such directory. Pass the directory of a finished run"),
        (["run={run}", "x=[[1.0,2.0]]"], r"x: example 1 has 2 value\(s\) but the model takes 1 feature\(s\) per example"),
        (["run={run}", "csv={tmp}/missing.csv"], r"csv=.*missing.csv: cannot read the file: \[Errno 2\] No such file"),
        (["run={run}", "csv={tmp}/bad.csv"], r"csv=.*bad.csv, line 3: expected numbers separated by commas. Received: 'oops'"),
        (["run={run}", "csv={tmp}/empty.csv"], r"csv=.*empty.csv: the file holds no examples"),
        (["run={run}", "x=[]"], r"x: no examples given"),
        (["run={run}"], r"Pass the examples as exactly one of x=\[...\] or csv=<file>"),
        (["run={tmp}", "x=[1.0]"], r"there is no model.keras in it"),
        (["run"], r"'run' is not a key=value argument. Usage: python -m framework.predict"),
    ],
)
def test_bad_input_is_a_clear_error(trained_run, tmp_path, arguments, message):
    (tmp_path / "bad.csv").write_text("x\n1.0\noops\n")
    (tmp_path / "empty.csv").write_text("x\n")
    arguments = [a.format(run=trained_run.run_dir, tmp=tmp_path) for a in arguments]
    with pytest.raises(InputError, match=message):
        predict(parse_arguments(arguments))


def test_unknown_argument_names_the_valid_ones():
    with pytest.raises(ConfigError, match=r"xs=\[1\] is not a known key; expected one of: run, x, csv, plugins. Did you mean x\?"):
        parse_arguments(["run=r", "xs=[1]"])


@pytest.mark.slow
def test_command_line_prints_csv_or_one_error_line_with_status_2(trained_run):
    def predict_cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "framework.predict", *args],
            capture_output=True, text=True, timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )

    ok = predict_cli(f"run={trained_run.run_dir}", "x=[1.0,2.0]")
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.strip().splitlines()
    assert lines[0] == "x,prediction" and len(lines) == 3
    assert float(lines[1].split(",")[1]) == pytest.approx(_line(trained_run, 1.0), rel=1e-4)
    bad = predict_cli("run=/no/such/run", "x=[1.0]")
    assert bad.returncode == 2
    assert "Error: run=/no/such/run: no such directory" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("x", ["abc", "[a,b]", "[[1,2],3]", "{a: 1}"])
def test_examples_that_are_not_numbers_are_explained_in_command_line_terms(x):
    with pytest.raises(ConfigError, match=r"x=.* is invalid: expected a list of numbers, one example per number \(x=\[1.0,2.5\]\), "
                       r"or a list of rows, one example per row \('x=\[\[1,2\],\[3,4\]\]'\)") as error:
        parse_arguments(["run=r", f"x={x}"])
    assert "list[float]" not in str(error.value)


def test_help_lists_every_argument_without_importing_tensorflow():
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from framework.predict import main; main(['--help']); "
         "assert 'tensorflow' not in sys.modules"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: python -m framework.predict run=<run dir>")
    for argument in ("run", "x", "csv", "plugins"):
        assert f"\n    {argument}: " in out.stdout


@pytest.mark.slow
def test_the_plugins_a_run_used_are_imported_from_its_config(tmp_path):
    """A run trained with plugins=[local_layers] predicts without naming it again."""
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "local_layers.py").write_text(
        "import keras\n"
        "from framework.registry import LAYERS\n\n\n"
        "@LAYERS.register('doubled')\n"
        "class Doubled(keras.layers.Layer):\n"
        "    def call(self, inputs):\n"
        "        return 2.0 * inputs\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "code")}
    run_dir = tmp_path / "run"
    trained = subprocess.run(
        [sys.executable, "-m", "framework.train", "plugins=[local_layers]", "model=sequential", "epochs=1", "verbose=0",
         "logger=none", "model.layers=[{name: doubled}, {name: dense, units: 1}]", f"hydra.run.dir={run_dir}"],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    predicted = subprocess.run(
        [sys.executable, "-m", "framework.predict", f"run={run_dir}", "x=[1.0]"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.splitlines()[0] == "x,prediction"


def test_a_truncated_model_file_is_an_input_error(trained_run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, copy)
    model = copy / "model.keras"
    model.write_bytes(model.read_bytes()[:200])
    with pytest.raises(InputError, match=r"model.keras: cannot load this model: .*Retrain, or resume the run"):
        predict(parse_arguments([f"run={copy}", "x=[1.0]"]))


def test_a_model_that_would_run_code_is_refused(tmp_path):
    import keras

    inputs = keras.Input((1,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs)).save(tmp_path / "model.keras")
    with pytest.raises(InputError, match=r"cannot load this model: .*Lambda.*safe mode"):
        predict(parse_arguments([f"run={tmp_path}", "x=[1.0]"]))
