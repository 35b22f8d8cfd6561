"""Models, layers, losses and data sources, each on its own."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from framework.data import LinearRegressionData, SineData
from framework.layers import MyDenseLayer
from framework.models import LinearModel, build_my_dense_model, build_sequential_model
from framework.plugins import load_plugins
from framework.registry import LOSSES

load_plugins()

COMMON = dict(val_fraction=0.0, test_fraction=0.0, shuffle=False, seed=7, normalize=False, streaming=False)


def test_linear_model_has_the_tutorials_scalar_variables():
    model = LinearModel(initial_w=5.0, initial_b=0.0)
    y = model(np.array([[1.0], [2.0]], dtype="float32"))
    assert [v.name for v in model.trainable_variables] == ["W", "b"]
    assert model.W.shape == () and model.b.shape == ()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), [[5.0], [10.0]])


def test_linear_model_with_several_features_has_a_weight_per_feature():
    model = LinearModel(initial_w=1.0, initial_b=0.5)
    y = model(np.ones((3, 4), dtype="float32"))
    assert model.W.shape == (4,)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), np.full((3, 1), 4.5))


def test_my_dense_layer_builds_its_kernel_from_the_input_features():
    layer = MyDenseLayer(10)
    y = layer(np.zeros((10, 5), dtype="float32"))
    assert tuple(y.shape) == (10, 10)
    assert tuple(layer.kernel.shape) == (5, 10)
    assert [v.name for v in layer.trainable_variables] == ["kernel"]


def test_my_dense_layer_config_round_trips():
    layer = MyDenseLayer(3, use_bias=True, name="d")
    clone = MyDenseLayer.from_config(layer.get_config())
    assert (clone.num_outputs, clone.use_bias, clone.name) == (3, True, "d")


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_my_dense_layer_rejects_bad_num_outputs(bad):
    with pytest.raises(ValueError, match=r"num_outputs: expected a positive integer. Received: num_outputs="):
        MyDenseLayer(bad)


def test_my_dense_model_and_sequential_stack():
    assert build_my_dense_model(num_outputs=2, use_bias=True)(np.ones((4, 3), "float32")).shape == (4, 2)
    model = build_sequential_model(
        [{"name": "my_dense", "num_outputs": 4}, {"name": "activation", "activation": "relu"}, {"name": "dense", "units": 1}]
    )
    assert model(np.ones((2, 3), "float32")).shape == (2, 1)
    assert [type(layer).__name__ for layer in model.layers] == ["MyDenseLayer", "Activation", "Dense"]


def test_saved_model_reloads_in_a_fresh_process(tmp_path):
    model = build_sequential_model([{"name": "my_dense", "num_outputs": 2}, {"name": "dense", "units": 1}])
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(4, 2)
    expected = keras.ops.convert_to_numpy(model(x))
    path = tmp_path / "m.keras"
    model.save(path)
    script = (
        "import numpy as np; from framework.saving import load_model; "
        f"m = load_model({str(path)!r}); "
        f"print(repr(m(np.linspace(-1, 1, 8, dtype='float32').reshape(4, 2)).numpy().ravel().tolist()))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(eval(out.stdout.strip().splitlines()[-1]), expected.ravel(), rtol=1e-6)


def test_mse_is_the_tutorials_l2_loss():
    y_true = np.array([[1.0], [2.0], [4.0]], "float32")
    y_pred = np.array([[1.5], [2.0], [3.0]], "float32")
    mse = LOSSES.build({"name": "mse"}, where="loss")
    assert float(mse(y_true, y_pred)) == pytest.approx(np.mean((y_true - y_pred) ** 2))
    mae = LOSSES.build({"name": "mae"}, where="loss")
    assert float(mae(y_true, y_pred)) == pytest.approx(np.mean(np.abs(y_true - y_pred)))
    huber = LOSSES.build({"name": "huber", "delta": 0.5}, where="loss")
    errors = np.abs(y_true - y_pred)
    expected = np.where(errors <= 0.5, 0.5 * errors**2, 0.5 * (errors - 0.25))
    assert float(huber(y_true, y_pred)) == pytest.approx(expected.mean())


def linear_data(**overrides):
    arguments = dict(num_examples=1000, batch_size=1000, num_features=1, true_w=3.0, true_b=2.0, noise_std=1.0)
    return LinearRegressionData(**{**arguments, **COMMON, **overrides})


def test_linear_data_follows_the_tutorials_recipe():
    data = linear_data()
    x, y = data.sample(1000)
    assert x.shape == (1000, 1) and y.shape == (1000, 1) and x.dtype == np.float32
    x, y = x[:, 0], y[:, 0]
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(3.0, abs=0.15) and intercept == pytest.approx(2.0, abs=0.15)
    assert np.std(y - (3 * x + 2)) == pytest.approx(1.0, abs=0.1)
    assert abs(x.mean()) < 0.1 and x.std() == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("streaming", [False, True])
def test_data_is_deterministic_per_seed(streaming):
    def first_examples(**overrides):
        return linear_data(num_examples=100, batch_size=10, streaming=streaming, **overrides).sample(30)[0]

    np.testing.assert_array_equal(first_examples(), first_examples())
    assert not np.array_equal(first_examples(), first_examples(seed=8))


def epoch_inputs(data, epochs, initial_epoch=0):
    """Each epoch's inputs, concatenated, as batches addressed by (epoch, step)."""
    batches = [data.train_batch(epoch, step)[0] for epoch in range(initial_epoch, epochs) for step in range(data.steps_per_epoch)]
    per_epoch = data.steps_per_epoch
    return [np.concatenate(batches[i : i + per_epoch]).ravel() for i in range(0, len(batches), per_epoch)]


@pytest.mark.parametrize("streaming", [False, True])
def test_validation_split_and_batching(streaming):
    data = linear_data(num_examples=100, batch_size=32, val_fraction=0.2, num_features=3, streaming=streaming)
    assert (data.num_train_examples, data.num_validation_examples) == (80, 20)
    assert data.steps_per_epoch == 3 and data.validation_steps == 1
    assert [tuple(x.shape) for epoch in (0, 1) for x, _ in data.batches("train", epoch)] == [(32, 3), (32, 3), (16, 3)] * 2
    assert [tuple(x.shape) for x, _ in data.batches("validation")] == [(20, 3)]
    train = np.concatenate([x for x, _ in data.batches("train", 0)])
    validation = np.concatenate([x for x, _ in data.batches("validation")])
    assert not np.isin(validation, train).any()  # held-out examples are never trained on
    assert linear_data(num_examples=10).examples("validation") is None


@pytest.mark.parametrize("streaming", [False, True])
def test_shuffled_order_depends_only_on_seed_and_epoch(streaming):
    data = linear_data(num_examples=60, batch_size=20, shuffle=True, streaming=streaming)
    first, second = epoch_inputs(data, epochs=2)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first), np.sort(second))  # the same examples, reordered
    # A fresh source, or one starting at epoch 1 (a resumed run), sees the same batches.
    again = linear_data(num_examples=60, batch_size=20, shuffle=True, streaming=streaming)
    np.testing.assert_array_equal(epoch_inputs(again, epochs=1)[0], first)
    np.testing.assert_array_equal(epoch_inputs(again, epochs=2, initial_epoch=1)[0], second)


def test_a_batch_larger_than_the_data_is_the_whole_data():
    data = linear_data(num_examples=50, batch_size=4096)
    assert data.batch_size == 50 and data.steps_per_epoch == 1


def test_streamed_data_holds_no_examples_in_memory():
    data = linear_data(num_examples=10**9, batch_size=1000, streaming=True)
    assert data.steps_per_epoch == 10**6
    x, y = data.train_batch(epoch=0, step=999_999)
    assert x.shape == (1000, 1)
    slope, intercept = np.polyfit(x[:, 0], y[:, 0], 1)
    assert slope == pytest.approx(3.0, abs=0.2) and intercept == pytest.approx(2.0, abs=0.2)


def test_sine_data_stays_in_range_and_follows_sin():
    data = SineData(num_examples=500, batch_size=50, low=-1.0, high=2.0, noise_std=0.0, **COMMON)
    x, y = data.sample(500)
    assert x.min() >= -1.0 and x.max() <= 2.0
    np.testing.assert_allclose(y, np.sin(x), atol=1e-6)
