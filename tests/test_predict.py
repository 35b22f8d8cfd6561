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
    assert examples.x[:, 0].tolist() == [0.5, 2.0]
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
        (["run={run}"], r"Pass the examples as exactly one of x=\[...\], csv=<file>, npz=<file> or images=<file or folder>"),
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
    with pytest.raises(ConfigError, match=r"xs=\[1\] is not a known key; expected one of: run, x, csv, npz, npz_key, images, output, plugins. Did you mean x\?"):
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


# Runs trained on what users have: a CSV file with class names, the digits images, an image folder.
CSV_CLASSIFIER = (
    "data=csv", "data.target=species", "data.normalize=true", "data.batch_size=16", "model=sequential",
    "model.layers=[{name: dense, units: 16, activation: relu}, {name: dense, units: 3}]", "loss=sparse_categorical_crossentropy",
    "loss.from_logits=true", "metrics=[accuracy]", "optimizer=adam", "optimizer.learning_rate=0.02", "epochs=15",
    "logger=none", "verbose=0", "plots=false",
)


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    from helpers.data_files import iris_csv
    from helpers.runs import run_in

    folder = tmp_path_factory.mktemp("iris")
    path = iris_csv(folder / "iris.csv")
    return run_in(folder / "run", *CSV_CLASSIFIER, f"data.path={path}"), path


def _rows(text):
    import csv as csv_module
    import io

    return list(csv_module.DictReader(io.StringIO(text)))


def test_the_training_csv_itself_is_read_by_column_name_in_any_order(iris_run, tmp_path):
    from helpers.data_files import IRIS_COLUMNS, iris_csv

    from framework.predict import saved_classes

    run, path = iris_run
    examples, predictions = predict(parse_arguments([f"run={run.run_dir}", f"csv={path}"]))
    text = format_predictions(examples, predictions, saved_classes(run.run_dir))
    assert text.splitlines()[0] == "sepal_length,sepal_width,petal_length,petal_width,class,p_setosa,p_versicolor,p_virginica"
    rows = _rows(text)
    species = [line.split(",")[-1] for line in open(path).read().splitlines()[1:]]
    assert len(rows) == 150 and np.mean([row["class"] == truth for row, truth in zip(rows, species)]) > 0.9
    # The target first, the features reversed, an extra column: the same examples, the same predictions.
    shuffled = iris_csv(tmp_path / "shuffled.csv", columns=("species", *reversed(IRIS_COLUMNS)))
    text = open(shuffled).read().replace("species,", "note,species,", 1)
    (tmp_path / "extra.csv").write_text("\n".join(text.splitlines()[:1] + [f"n{i}," + line for i, line in enumerate(text.splitlines()[1:])]) + "\n")
    again, same = predict(parse_arguments([f"run={run.run_dir}", f"csv={tmp_path / 'extra.csv'}"]))
    np.testing.assert_array_equal(again.x, examples.x)
    np.testing.assert_allclose(same, predictions, rtol=1e-6)


@pytest.mark.parametrize("header, row, message", [
    ("sepal_length,sepal_width,petal_lenght,species", "5.1,3.5,1.4,setosa",
     r"the run was trained on the columns sepal_length, sepal_width, petal_length, petal_width, but the file has no column "
     r"'petal_length', 'petal_width' \(its columns: sepal_length, sepal_width, petal_lenght, species\). Did you mean 'petal_lenght'\?"),
    ("sepal_length,sepal_width,petal_length,petal_width", "5.1,3.5,big,0.2", r"line 2, column 'petal_length': expected a number. Received: 'big'"),
])
def test_a_csv_without_a_training_column_names_it(iris_run, tmp_path, header, row, message):
    (tmp_path / "in.csv").write_text(f"{header}\n{row}\n")
    with pytest.raises(InputError, match=message):
        predict(parse_arguments([f"run={iris_run[0].run_dir}", f"csv={tmp_path / 'in.csv'}"]))


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    from helpers.runs import run_in

    return run_in(
        tmp_path_factory.mktemp("digits") / "run", "+experiment=digits_cnn", "epochs=1", "data.num_examples=200",
        "logger=none", "verbose=0", "plots=false",
    )


@pytest.mark.parametrize("channel_axis", [False, True])
def test_an_npz_of_images_for_the_digits_model(digits_run, tmp_path, channel_axis):
    from sklearn.datasets import load_digits

    from framework.predict import saved_classes
    from framework.saving import load_model

    images = load_digits().images[:5].astype(np.float32)
    np.savez(tmp_path / "digits.npz", images=images[..., np.newaxis] if channel_axis else images)
    examples, predictions = predict(parse_arguments([f"run={digits_run.run_dir}", f"npz={tmp_path / 'digits.npz'}"]))
    expected = load_model(digits_run.run_dir).predict(images[..., np.newaxis], verbose=0)
    np.testing.assert_allclose(predictions, expected, rtol=1e-5, atol=1e-6)
    lines = format_predictions(examples, predictions, saved_classes(digits_run.run_dir)).splitlines()
    assert lines[0] == "example,class," + ",".join(f"p_{d}" for d in range(10)) and lines[5].startswith("4,")


@pytest.mark.parametrize("arguments, message", [
    (["csv={tmp}/rows.csv"], r"csv: the model takes examples of shape \(8, 8, 1\), not rows of numbers. Pass them as an array with npz=<file>"),
    (["npz={tmp}/two.npz"], r"npz=.*two.npz: it holds several arrays \(a, b\); name the examples' with npz_key=<name>"),
    (["npz={tmp}/two.npz", "npz_key=c"], r"npz=.*two.npz: no array named 'c' in it; it holds: a, b"),
    (["npz={tmp}/wide.npz"], r"the array 'x' holds examples of shape \(8, 9\) .*but the model takes examples of shape \(8, 8, 1\)"),
    (["images={tmp}/rows.csv"], r"images=.*rows.csv cannot be decoded as an image"),
])
def test_inputs_that_do_not_fit_an_image_model_are_explained(digits_run, tmp_path, arguments, message):
    (tmp_path / "rows.csv").write_text("1,2,3\n")
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 8, 8)), b=np.zeros(2))
    np.savez(tmp_path / "wide.npz", x=np.zeros((2, 8, 9)))
    with pytest.raises(InputError, match=message):
        predict(parse_arguments([f"run={digits_run.run_dir}", *(a.format(tmp=tmp_path) for a in arguments)]))


def test_a_png_for_an_image_folder_model_is_read_as_in_training(tmp_path):
    import keras
    from helpers.data_files import write_images
    from helpers.runs import run_in

    from framework.predict import saved_classes

    folder = write_images(tmp_path / "pets", per_class=4, size=(6, 4))
    run = run_in(tmp_path / "run", "data=images", f"data.path={folder}", "data.image_size=[8,8]", "data.val_fraction=0",
                 "model=sequential", "model.layers=[{name: flatten}, {name: dense, units: 2}]", "loss=sparse_categorical_crossentropy",
                 "loss.from_logits=true", "epochs=1", "logger=none", "verbose=0", "plots=false")
    training = keras.utils.image_dataset_from_directory(folder, image_size=(8, 8), batch_size=None, shuffle=False, verbose=False)
    pixels = {path: image for path, (image, _) in zip(training.file_paths, training.as_numpy_iterator())}
    png = f"{folder}/dog/2.png"
    one, prediction = predict(parse_arguments([f"run={run.run_dir}", f"images={png}"]))
    np.testing.assert_allclose(one.x[0], pixels[png])  # decoded and resized exactly as the training images
    every, _ = predict(parse_arguments([f"run={run.run_dir}", f"images={folder}"]))
    assert [label for label, in every.labels] == [f"{name}/{i}.png" for name in ("cat", "dog") for i in range(4)]
    lines = format_predictions(one, prediction, saved_classes(run.run_dir)).splitlines()
    assert lines[0] == "image,class,p_cat,p_dog" and lines[1].startswith("2.png,")
    with pytest.raises(InputError, match=r"images=.*: no such file or folder"):
        predict(parse_arguments([f"run={run.run_dir}", f"images={folder}/none.png"]))


def test_output_writes_the_csv_into_a_file(trained_run, tmp_path, capsys):
    from framework.predict import main

    main([f"run={trained_run.run_dir}", "x=[1.0]", "--output", str(tmp_path / "out.csv")])
    main([f"run={trained_run.run_dir}", "x=[2.0]", f"output={tmp_path / 'two.csv'}"])
    assert capsys.readouterr().out == ""
    assert (tmp_path / "out.csv").read_text().splitlines()[0] == "x,prediction"
    assert float((tmp_path / "two.csv").read_text().splitlines()[1].split(",")[1]) == pytest.approx(_line(trained_run, 2.0), rel=1e-5)


def test_a_run_that_stopped_before_its_model_was_saved_points_to_resume(trained_run, tmp_path):
    import shutil

    stopped = tmp_path / "stopped"
    shutil.copytree(trained_run.run_dir, stopped)
    (stopped / "model.keras").unlink()
    (stopped / "summary.json").unlink()
    with pytest.raises(InputError, match=r"run=.*stopped: there is no model.keras in it: the run stopped before it finished \(it has "
                       r"checkpoints\). Finish it with python -m framework.train resume=.*stopped, which saves the model"):
        predict(parse_arguments([f"run={stopped}", "x=[1.0]"]))
