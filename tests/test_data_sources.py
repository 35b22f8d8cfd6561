"""Data sources from files, bundled sets and the spirals: shapes, seeded splits, errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from framework.data import CsvData, DigitsData, ImageFolderData, IrisData, NumpyData, SpiralsData
from framework.errors import ConfigError, InputError
from framework.registry import DATA

COMMON = dict(batch_size=8, val_fraction=0.2, test_fraction=0.1, shuffle=True, seed=3, normalize=False)
FILES = dict(num_examples=None, target_type="auto")


def write_csv(path, text):
    path.write_text(text)
    return str(path)


def flowers_csv(tmp_path, rows=40):
    """Two numeric features, a numeric column and a class-name column."""
    rng = np.random.default_rng(0)
    lines = ["length,width,weight,kind"]
    for i in range(rows):
        lines.append(f"{rng.normal():.4f},{rng.normal() + 5:.4f},{i * 0.5:.1f},{['rose', 'iris', 'lily'][i % 3]}")
    return write_csv(tmp_path / "flowers.csv", "\n".join(lines) + "\n")


def csv_data(path, target="kind", features=None, **overrides):
    return CsvData(path=path, target=target, features=features, **{**FILES, **COMMON, **overrides})


def batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def all_examples(data, part):
    """Every example of one part ("train", "validation", "test"), in order."""
    if part == "train":
        pairs = [data.train_batch(None, step) for step in range(data.steps_per_epoch)]
    else:
        steps = data.validation_steps if part == "validation" else data.test_steps
        batch = data.validation_batch if part == "validation" else data.test_batch
        pairs = [batch(step) for step in range(steps)]
    return np.concatenate([x.numpy() for x, _ in pairs]), np.concatenate([y.numpy() for _, y in pairs])


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
    assert csv_data(path, target="weight", features=["length"], target_type="classification").num_classes == 40


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
        ("a,kind\n1,x\n2\n", InputError, r"no value in column 'kind' of data row 2 .*a row shorter than the header"),
        ("a,kind\n1,x\nnan,y\n", InputError, r"no value in column 'a' of data row 2"),
        ("a,colour,kind\n1,red,x\n2,blue,y\n", InputError, r"data\.features: column 'colour' of .* holds non-numeric values \(e\.g\. 'red'\); expected numbers"),
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


def numpy_data(path, **overrides):
    arguments = dict(target_path=None, inputs_key="x", targets_key="y", **FILES, **COMMON)
    return NumpyData(path=str(path), **{**arguments, **overrides})


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
    with pytest.raises(InputError, match=r"the inputs hold a NaN or infinite value at index \(1, 0\)"):
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


def write_images(folder, classes=("dog", "cat"), per_class=5, size=(6, 4)):
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((*size, 3), 40 * index + i, dtype=np.uint8)
            tf.io.write_file(str(folder / name / f"{i}.png"), tf.io.encode_png(pixels))
    return str(folder)


def image_data(path, **overrides):
    return ImageFolderData(path=path, **{**dict(image_size=(6, 4), color_mode="rgb", num_examples=None, **COMMON), **overrides})


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


# Bundled sets and spirals ------------------------------------------------------------------------


def test_digits_are_images_a_conv2d_takes():
    import keras

    data = DigitsData(num_examples=None, **COMMON)
    assert data.input_shape == (8, 8, 1) and data.class_names == tuple("0123456789")
    assert data.num_train_examples + data.num_validation_examples + data.num_test_examples == 1797
    x, y = data.sample(4)
    assert keras.layers.Conv2D(2, 3)(x).shape == (4, 6, 6, 2)
    loss = keras.losses.SparseCategoricalCrossentropy()(y, np.full((4, 10), 0.1, np.float32))
    assert float(loss) == pytest.approx(np.log(10), rel=1e-5)  # the targets are what the loss takes


def test_iris_and_a_subset_by_num_examples():
    data = IrisData(num_examples=50, **COMMON)
    assert data.class_names == ("setosa", "versicolor", "virginica") and data.input_shape == (4,)
    assert (data.num_train_examples, data.num_validation_examples, data.num_test_examples) == (35, 10, 5)
    assert data.steps_per_epoch == 5 and data.validation_steps == 2 and data.test_steps == 1
    assert [tuple(x.shape) for x, _ in data.test_dataset()] == [(5, 4)]


@pytest.mark.parametrize("streaming", [False, True])
def test_spirals_deal_points_to_classes(streaming):
    data = SpiralsData(num_classes=4, turns=1.0, noise=0.0, num_examples=400, streaming=streaming, **COMMON)
    assert data.class_names == ("0", "1", "2", "3") and data.input_shape == (2,) and data.target_shape == ()
    x, y = all_examples(data, "train")
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert np.all(np.linalg.norm(x, axis=1) <= 1.0 + 1e-6)
    assert np.bincount(y, minlength=4).min() >= 50  # every class well represented
    again = SpiralsData(num_classes=4, turns=1.0, noise=0.0, num_examples=400, streaming=streaming, **COMMON)
    np.testing.assert_array_equal(all_examples(again, "test")[0], all_examples(data, "test")[0])


# What every in-memory source shares --------------------------------------------------------------


@pytest.fixture
def every_source(tmp_path):
    return {
        "csv": csv_data(flowers_csv(tmp_path)),
        "images": image_data(write_images(tmp_path / "pets", per_class=12)),
        "iris": IrisData(num_examples=None, **COMMON),
        "spirals": SpiralsData(num_classes=3, turns=1.0, noise=0.1, num_examples=90, streaming=False, **COMMON),
    }


def test_a_batch_is_a_pure_function_of_seed_epoch_and_step(every_source):
    for name, data in every_source.items():
        through_pipeline = batches(data.train_dataset(epochs=3, initial_epoch=1))
        by_address = [
            (x.numpy(), y.numpy())
            for epoch in (1, 2)
            for x, y in (data.train_batch(data.epoch_order(epoch), step) for step in range(data.steps_per_epoch))
        ]
        assert len(through_pipeline) == len(by_address) == 2 * data.steps_per_epoch, name
        for (x1, y1), (x2, y2) in zip(through_pipeline, by_address):
            np.testing.assert_array_equal(x1, x2)
            np.testing.assert_array_equal(y1, y2)
        assert not np.array_equal(data.epoch_order(1), data.epoch_order(2)), name  # shuffled per epoch


def test_held_out_parts_never_reach_training(every_source):
    for name in ("csv", "images", "spirals"):  # iris repeats some flowers, so values cannot tell its examples apart
        data = every_source[name]
        train, _ = all_examples(data, "train")
        for part in ("validation", "test"):
            held, _ = all_examples(data, part)
            assert len(held) and not any((train == row).all(axis=tuple(range(1, train.ndim))).any() for row in held), name
        assert [x.shape[0] for x, _ in batches(data.validation_dataset())][0] <= data.batch_size


def test_normalizer_is_adapted_on_training_examples_only(every_source):
    for name, data in every_source.items():
        assert data.normalizer() is None
        data.normalize = True
        train, _ = all_examples(data, "train")
        layer = data.normalizer()
        axes = tuple(range(train.ndim - 1))
        np.testing.assert_allclose(np.ravel(layer.mean), train.mean(axis=axes), rtol=1e-4, atol=1e-4, err_msg=name)
        everything = np.concatenate([all_examples(data, part)[0] for part in ("train", "validation", "test")])
        assert not np.allclose(np.ravel(layer.mean), everything.mean(axis=axes), rtol=1e-6, atol=1e-6), name


def test_linear_data_knows_its_true_variables_and_others_do_not():
    from framework.data import LinearRegressionData

    data = LinearRegressionData(1, 3.0, 2.0, 1.0, num_examples=10, batch_size=10, val_fraction=0.0, test_fraction=0.0,
                                shuffle=False, seed=1, normalize=False, streaming=False)
    assert dict(data.true_variables) == {"W": 3.0, "b": 2.0} and data.class_names is None
    assert dict(IrisData(num_examples=None, **COMMON).true_variables) == {}


def test_the_default_run_needs_neither_pandas_nor_scikit_learn():
    # Blocked imports fail as if the packages were not installed.
    script = (
        "import sys; sys.modules['pandas'] = None; sys.modules['sklearn'] = None\n"
        "from framework.registry import DATA; import framework.data\n"
        "common = dict(batch_size=4, val_fraction=0.0, test_fraction=0.0, shuffle=False, seed=1, normalize=False)\n"
        "DATA.build(dict(name='linear', num_examples=4, streaming=False, num_features=1, true_w=3.0, true_b=2.0, noise_std=1.0, **common), where='data')\n"
        "from framework.errors import ConfigError\n"
        "try: DATA.build(dict(name='iris', num_examples=None, **common), where='data')\n"
        "except ConfigError as error: print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "data=iris needs sklearn, which is not installed. Install it with: pip install 'keras-hydra-framework[data]'" in out.stdout


# Through run() and the CLI ------------------------------------------------------------------------


def regression_csv(folder):
    """y = 2 a - b + 1 + noise, with a and b as features."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 96))
    y = 2 * a - b + 1 + rng.normal(scale=0.1, size=96)
    lines = ["a,b,y", *(f"{p:.5f},{q:.5f},{r:.5f}" for p, q, r in zip(a, b, y))]
    return write_csv(folder / "regression.csv", "\n".join(lines) + "\n")


def test_a_csv_regression_trains_identically_under_both_strategies(tmp_path):
    from conftest import run_in

    path = regression_csv(tmp_path)
    overrides = ("data=csv", f"data.path={path}", "data.target=y", "data.batch_size=16", "data.test_fraction=0.1",
                 "epochs=3", "verbose=0", "plots=false", "optimizer.learning_rate=0.1")
    tape, fit = (run_in(tmp_path / strategy, *overrides, f"strategy={strategy}") for strategy in ("tape", "fit"))
    assert tape.global_step == fit.global_step == 3 * 5  # 67 training rows in batches of 16
    assert tape.variables.keys() == fit.variables.keys() and tape.variables
    for name in tape.variables:
        np.testing.assert_allclose(tape.variables[name], fit.variables[name], atol=1e-5)
    for name in ("loss", "val_loss"):
        assert tape.metrics[name] == pytest.approx(fit.metrics[name], abs=1e-5)
    assert tape.metrics["loss"] < 1.0  # it learned the line


def test_the_cli_reads_a_relative_path_from_the_launch_directory_and_exits_2_on_a_bad_one(tmp_path):
    from conftest import run_cli

    regression_csv(tmp_path)
    run_dir = tmp_path / "outputs" / "run"
    ok = run_cli("data=csv", "data.path=regression.csv", "data.target=y", "epochs=1", "plots=false", "verbose=0",
                 "hydra.job.chdir=true", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    bad = run_cli("data=csv", "data.path=absent.csv", "data.target=y", f"hydra.run.dir={run_dir}2", cwd=tmp_path)
    assert bad.returncode == 2
    assert f"no CSV file at {tmp_path / 'absent.csv'} (data.path='absent.csv')" in bad.stderr + bad.stdout
