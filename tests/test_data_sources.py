"""What every data source offers: bundled sets, the spirals, seeded batches,
held-out parts, the normalizer; a file source through run()."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers.data_files import (
    COMMON,
    all_examples,
    batches,
    csv_data,
    flowers_csv,
    image_data,
    regression_csv,
    write_images,
)

from framework.data import DigitsData, IrisData, SpiralsData
from framework.errors import ConfigError
from framework.registry import DATA

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
    assert [tuple(x.shape) for x, _ in data.batches("test")] == [(5, 4)]


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
    pytest.importorskip("tensorflow", reason="the tf.data pipeline is the TensorFlow backend's")
    from framework.backends.tensorflow.examples import (
        TensorFlowExamples,
        training_dataset,
    )

    for name, data in every_source.items():
        through_pipeline = batches(training_dataset(TensorFlowExamples(data), epochs=3, initial_epoch=1))
        by_address = [data.train_batch(epoch, step) for epoch in (1, 2) for step in range(data.steps_per_epoch)]
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
        assert [x.shape[0] for x, _ in data.batches("validation")][0] <= data.batch_size


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




def test_a_csv_regression_trains_identically_under_both_strategies(tmp_path):
    from helpers.runs import run_in

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
    assert tape.metrics["loss"] < 5.0  # it learns: W starts at 5 per feature, an initial loss near 46


@pytest.mark.parametrize(
    "key, overrides",
    [
        ("spirals", []),
        ("digits", []),
        ("iris", []),
        ("csv", ["data.path=x.csv", "data.target=y"]),
        ("numpy", ["data.path=x.npz"]),
        ("images", ["data.path=pictures"]),
    ],
)
def test_each_data_config_holds_every_value_its_schema_needs(compose_config, key, overrides):
    from omegaconf import OmegaConf

    for debug in ([], ["debug=fast"]):  # debug=fast shrinks num_examples and batch_size of any source
        spec = OmegaConf.to_container(compose_config(f"data={key}", *overrides, *debug).data, resolve=True)
        resolved = DATA.resolve(spec, where="data")
        assert resolved.key == key and resolved.kwargs["seed"] == 42


def test_a_path_left_unset_is_a_config_error(compose_config):
    from omegaconf import OmegaConf

    spec = OmegaConf.to_container(compose_config("data=csv", "data.target=y").data, resolve=True)
    with pytest.raises(ConfigError, match=r"data.path is not set: the config leaves it to you. Set it on the command line \(data.path=...\)"):
        DATA.resolve(spec, where="data")
