"""Data sources that read the user's files: csv, numpy, images; their errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.data_files import (
    COMMON,
    all_examples,
    csv_data,
    flowers_csv,
    image_data,
    numpy_data,
    regression_csv,
    write_csv,
    write_images,
)

from framework.errors import ConfigError, InputError
from framework.registry import DATA

# CSV ---------------------------------------------------------------------------------------------


def test_csv_class_names_are_encoded_in_sorted_order(tmp_path):
    data = csv_data(flowers_csv(tmp_path))
    assert data.class_names == ("iris", "lily", "rose") and data.num_classes == 3
    assert data.input_shape == (3,) and data.target_shape == ()
    x, y = data.sample(40)
    assert x.dtype == np.float32 and y.dtype == np.int32
    # Rows cycle rose, iris, lily; every row's id names its kind.
    table = np.genfromtxt(tmp_path / "flowers.csv", delimiter=",", names=True, dtype=None, encoding=None)
    by_weight = {float(row["weight"]): row["kind"] for row in table}
    assert all(data.class_names[label] == by_weight[float(weight)] for weight, label in zip(x[:, 2], y))


def test_csv_numeric_targets_and_chosen_features(tmp_path):
    path = flowers_csv(tmp_path)
    data = csv_data(path, target=["length", "weight"], features=["width"])
    assert data.class_names is None and data.num_classes is None
    assert data.input_shape == (1,) and data.target_shape == (2,)
    x, y = data.sample(5)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert data.num_train_examples + data.num_validation_examples + data.num_test_examples == 40
    assert (data.num_validation_examples, data.num_test_examples) == (8, 4)
    # Labels that are numbers are classes only when whole: 0.5 is a value to predict.
    with pytest.raises(InputError, match=r"column 'weight' of .* are read as class labels .*example 1 holds 0.5, which is not a whole number"):
        csv_data(path, target="weight", features=["length"], target_type="classification")


@pytest.mark.parametrize("kind", ["csv", "npz"])
def test_whole_number_labels_are_class_ids_for_a_class_id_loss(train, tmp_path, kind):
    """0/1/2 in a file with loss=sparse_categorical_crossentropy: three classes, trained as classes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 2)).astype(np.float32)
    y = (x[:, 0] > -0.4).astype(int) + (x[:, 0] > 0.4).astype(int)
    if kind == "csv":
        write_csv(tmp_path / "ids.csv", "a,b,label\n" + "".join(f"{a:.4f},{b:.4f},{c}\n" for (a, b), c in zip(x, y)))
        data = ["data=csv", f"data.path={tmp_path / 'ids.csv'}", "data.target=label"]
    else:
        np.savez(tmp_path / "ids.npz", x=x, y=y)
        data = ["data=numpy", f"data.path={tmp_path / 'ids.npz'}"]
    result = train(*data, "model=sequential", "model.layers=[{name: dense, units: 3}]", "loss=sparse_categorical_crossentropy",
                   "loss.from_logits=true", "optimizer=adam", "optimizer.learning_rate=0.05", "epochs=30", "metrics=[accuracy]",
                   "logger=none", "plots=false", "verbose=0")
    assert json.loads((Path(result.run_dir) / "classes.json").read_text())["names"] == ["0", "1", "2"]
    assert result.metrics["val_accuracy"] > 0.8  # chance is about 1/3


def test_csv_split_is_seeded(tmp_path):
    path = flowers_csv(tmp_path)
    first, again, other = (csv_data(path, seed=seed) for seed in (3, 3, 4))
    for part in ("train", "validation", "test"):
        np.testing.assert_array_equal(all_examples(first, part)[0], all_examples(again, part)[0])
    assert not np.array_equal(all_examples(first, "validation")[0], all_examples(other, "validation")[0])
    # The parts never share an example, and together hold every row.
    weights = [all_examples(first, part)[0][:, 2] for part in ("train", "validation", "test")]
    assert sorted(np.concatenate(weights)) == [i * 0.5 for i in range(40)]


def test_csv_relative_path_resolves_against_the_launch_directory(tmp_path, monkeypatch):
    flowers_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert csv_data("flowers.csv").num_train_examples == 28


@pytest.mark.parametrize(
    "text, error, match",
    [
        (None, InputError, r"no CSV file at .*missing\.csv \(data\.path='missing\.csv'\)\. Check the path"),
        ("", InputError, r"bad\.csv .* is empty; expected a header line naming the columns"),
        ("a,kind\n", InputError, r"has a header but no rows"),
        ("a,kind\n1,x\n2,y,3\n", InputError, r"is not a well-formed CSV file \(.*Expected 2 fields in line 3, saw 3\)"),
        ("a,kind\n1,x\n2\n", InputError, r"1 cell\(s\) that are not finite numbers or labels: row 2, column 'kind': empty or NaN .*a row shorter than the header"),
        ("a,kind\n1,x\nnan,y\n", InputError, r"row 2, column 'a': empty or NaN"),
        (b"a,kind\n\xff\xfe,x\n", InputError, r"bad\.csv .* is not UTF-8 text; save the CSV file as UTF-8"),
        ("kind\nx\ny\n", InputError, r"bad\.csv .* has no column besides the target\(s\) \['kind'\]; add columns for the inputs"),
        ("a,kinds\n1,x\n", ConfigError, r"data\.target: 'kind' is not a column of .*bad\.csv.*Its columns: a, kinds\. Did you mean 'kinds'\?"),
    ],
)
def test_csv_bad_files_say_what_where_and_how_to_fix(tmp_path, monkeypatch, text, error, match):
    monkeypatch.chdir(tmp_path)
    if text is not None:
        write_csv(tmp_path / "bad.csv", text)
    with pytest.raises(error, match=match):
        csv_data("missing.csv" if text is None else "bad.csv")


def test_csv_config_mistakes(tmp_path):
    path = flowers_csv(tmp_path)
    with pytest.raises(ConfigError, match=r"data\.features: 'widht' is not a column .* Did you mean 'width'\?"):
        csv_data(path, features=["widht"])
    with pytest.raises(ConfigError, match=r"data\.features names the target column\(s\) \['kind'\]"):
        csv_data(path, features=["length", "kind"], target_type="classification")
    with pytest.raises(ConfigError, match=r"class labels work with one target column"):
        csv_data(path, target=["kind", "length"], features=["width"])
    with pytest.raises(ConfigError, match=r"data: val_fraction=0\.5 and test_fraction=0\.5 leave no training examples out of 40"):
        csv_data(path, val_fraction=0.5, test_fraction=0.5)


# NumPy -------------------------------------------------------------------------------------------


def test_numpy_npz_and_npy_pair_give_the_same_examples(tmp_path):
    x = np.arange(60, dtype=np.float64).reshape(20, 3)
    y = np.array(["b", "a"] * 10)
    np.savez(tmp_path / "set.npz", inputs=x, labels=y)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    from_npz = numpy_data(tmp_path / "set.npz", inputs_key="inputs", targets_key="labels")
    from_pair = numpy_data(tmp_path / "x.npy", target_path=str(tmp_path / "y.npy"))
    assert from_npz.class_names == ("a", "b") and from_npz.input_shape == (3,)
    for part in ("train", "validation", "test"):
        for a, b in zip(all_examples(from_npz, part), all_examples(from_pair, part)):
            np.testing.assert_array_equal(a, b)
    inputs, labels = all_examples(from_npz, "train")
    assert inputs.dtype == np.float32 and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, (inputs[:, 0] % 6 == 0).astype(np.int32))  # "b" rows have even index


def test_numpy_bad_files(tmp_path):
    np.savez(tmp_path / "set.npz", x=np.zeros((4, 2)), y=np.zeros(3))
    with pytest.raises(InputError, match=r"the inputs hold 4 examples but the targets 3"):
        numpy_data(tmp_path / "set.npz")
    with pytest.raises(ConfigError, match=r"data\.targets_key: .*set\.npz holds no array named 'z'; it holds: x, y\."):
        numpy_data(tmp_path / "set.npz", targets_key="z")
    np.savez(tmp_path / "objects.npz", x=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    with pytest.raises(InputError, match=r"holds Python objects \(pickled arrays\), which are not loaded because loading them can run code"):
        numpy_data(tmp_path / "objects.npz")
    np.savez(tmp_path / "nan.npz", x=np.array([[1.0], [np.nan]]), y=np.zeros(2))
    with pytest.raises(InputError, match=r"the inputs hold 1 value\(s\) that are not finite numbers: row 1, column 0: nan"):
        numpy_data(tmp_path / "nan.npz")
    (tmp_path / "text.npz").write_text("not numpy")
    with pytest.raises(InputError, match=r"text\.npz is not a NumPy \.npy or \.npz file; save arrays with np\.save or np\.savez"):
        numpy_data(tmp_path / "text.npz")
    np.save(tmp_path / "objects.npy", np.array([None, 1], dtype=object))
    np.save(tmp_path / "x.npy", np.zeros((2, 1)))
    with pytest.raises(InputError, match=r"data\.target_path: .*objects\.npy holds Python objects"):
        numpy_data(tmp_path / "x.npy", target_path=str(tmp_path / "objects.npy"))
    with pytest.raises(InputError, match=r"no NumPy file at .*absent\.npz"):
        numpy_data(tmp_path / "absent.npz")


def test_numpy_config_pairs_npy_files():
    with pytest.raises(ConfigError, match=r"an \.npy path needs target_path"):
        DATA.resolve({"name": "numpy", "path": "x.npy", "target_path": None, "inputs_key": "x", "targets_key": "y",
                      "target_type": "auto", "num_examples": None, **COMMON}, where="data")


# Images ------------------------------------------------------------------------------------------


def test_image_folder_classes_shapes_and_colour(tmp_path):
    data = image_data(write_images(tmp_path / "pets"))
    assert data.class_names == ("cat", "dog") and data.input_shape == (6, 4, 3)
    x, y = all_examples(data, "train")
    assert x.dtype == np.float32 and y.dtype == np.int32
    # cat images were written with values 40..44, dog images 0..4.
    np.testing.assert_array_equal(x[:, 0, 0, 0] >= 40, y == 0)
    grey = image_data(str(tmp_path / "pets"), color_mode="grayscale", image_size=(3, 2))
    assert grey.input_shape == (3, 2, 1)


def test_image_folder_errors(tmp_path):
    with pytest.raises(InputError, match=r"no folder at .*nowhere.* one subfolder of images per class"):
        image_data(str(tmp_path / "nowhere"))
    (tmp_path / "flat").mkdir()
    with pytest.raises(InputError, match=r"flat has no subfolders; expected one subfolder of images per class"):
        image_data(str(tmp_path / "flat"))
    write_images(tmp_path / "pets")
    (tmp_path / "pets" / "bird").mkdir()
    with pytest.raises(InputError, match=r"the class folder .*bird .* holds no images"):
        image_data(str(tmp_path / "pets"))
    (tmp_path / "pets" / "bird" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match=r"broken\.png in .* cannot be decoded as an image"):
        image_data(str(tmp_path / "pets"))


def test_the_cli_reads_a_relative_path_from_the_launch_directory_and_exits_2_on_a_bad_one(tmp_path):
    from helpers.runs import run_cli

    regression_csv(tmp_path)
    run_dir = tmp_path / "outputs" / "run"
    ok = run_cli("data=csv", "data.path=regression.csv", "data.target=y", "epochs=1", "plots=false", "verbose=0",
                 "hydra.job.chdir=true", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    bad = run_cli("data=csv", "data.path=absent.csv", "data.target=y", f"hydra.run.dir={run_dir}2", cwd=tmp_path)
    assert bad.returncode == 2
    assert f"no CSV file at {tmp_path / 'absent.csv'} (data.path='absent.csv')" in bad.stderr + bad.stdout
