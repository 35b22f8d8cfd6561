"""Keras's own layers by key: registration, argument checks before TensorFlow
work, a convolutional stack trained under both strategies, the model summary."""

import json

import numpy as np
import pytest
from omegaconf import open_dict

from framework.config import compose
from framework.config.plan import plan_run
from framework.errors import ConfigError, UnknownComponentError
from framework.registry import DATA, LAYERS

# A conv net for 8x8 one-channel images of 3 classes: conv2d 3*3*1*4+4 = 40
# parameters; 6x6x4 pooled to 3x3x4 = 36 features; dense 36*3+3 = 111.
CONV_LAYERS = [
    {"name": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu", "kernel_initializer": "he_normal"},
    {"name": "max_pooling2d", "pool_size": 2},
    {"name": "flatten"},
    {"name": "dense", "units": 3, "activation": "softmax"},
]
CONV_PARAMETERS = 40 + 111


@pytest.fixture(scope="module", autouse=True)
def _builtins_registered():
    from framework.plugins import load_plugins

    load_plugins()


@pytest.fixture(scope="module")
def image_data_key():
    """A tiny seeded image classifier source, registered for these tests only
    (framework/data gains real image sources separately)."""
    import tensorflow as tf

    from framework.data.synthetic import SyntheticData, SyntheticDataConfig

    class BrightestQuadrantData(SyntheticData):
        """8x8 images of uniform noise; the class (one-hot, 3) is which of the
        top-left, top-right or bottom half is brightest."""

        def generate(self, num_examples, seed):
            x = tf.random.stateless_uniform(tf.stack([num_examples, 8, 8, 1]), seed=seed)
            parts = tf.stack(
                [tf.reduce_mean(x[:, :4, :4], [1, 2, 3]), tf.reduce_mean(x[:, :4, 4:], [1, 2, 3]), tf.reduce_mean(x[:, 4:], [1, 2, 3])],
                axis=1,
            )
            return x, tf.one_hot(tf.argmax(parts, axis=1), 3)

    DATA.register("test_brightest_quadrant", config=SyntheticDataConfig)(BrightestQuadrantData)
    yield "test_brightest_quadrant"
    DATA.unregister("test_brightest_quadrant")


def _conv_config(strategy: str, data_key: str):
    cfg = compose(["model=sequential", "loss=categorical_crossentropy", "optimizer=adam", f"strategy={strategy}", "epochs=3", "verbose=1"])
    with open_dict(cfg):
        cfg.model.layers = CONV_LAYERS
        cfg.data = {"name": data_key, "num_examples": 96, "batch_size": 32, "val_fraction": 0.25, "test_fraction": 0.0, "shuffle": True, "seed": 7, "normalize": False, "streaming": False}
    return cfg


@pytest.fixture(scope="module")
def conv_runs(tmp_path_factory, image_data_key):
    from framework.run import run

    return {
        strategy: run(_conv_config(strategy, image_data_key), tmp_path_factory.mktemp(strategy))
        for strategy in ("tape", "fit")
    }


def test_keras_layers_are_registered_under_keras_names():
    import keras

    expected = {
        "conv2d": keras.layers.Conv2D, "max_pooling2d": keras.layers.MaxPooling2D, "flatten": keras.layers.Flatten,
        "reshape": keras.layers.Reshape, "batch_normalization": keras.layers.BatchNormalization,
        "embedding": keras.layers.Embedding, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
        "global_average_pooling2d": keras.layers.GlobalAveragePooling2D, "rescaling": keras.layers.Rescaling,
        "dense": keras.layers.Dense, "activation": keras.layers.Activation, "dropout": keras.layers.Dropout,
        "layer_normalization": keras.layers.LayerNormalization,
    }
    assert {key: LAYERS.get(key).factory for key in expected} == expected
    assert "my_dense" in LAYERS
    # One key per class: Keras's aliases (MaxPool2D, Convolution2D) add none.
    assert not {"max_pool2d", "convolution2d", "avg_pool2d"} & set(LAYERS.keys())


@pytest.mark.parametrize("left_out", ["lambda", "input_layer", "add", "concatenate", "lstm_cell", "multi_head_attention", "string_lookup"])
def test_layers_a_stack_cannot_hold_are_left_out(left_out):
    assert left_out not in LAYERS


def _plan(*layers):
    cfg = compose(["model=sequential"])
    cfg.model.layers = list(layers)
    return plan_run(cfg)


def test_a_misspelt_argument_fails_at_validation_with_did_you_mean():
    with pytest.raises(ConfigError, match=r"model.layers\[0\].filter: layer 'conv1d' takes no argument 'filter'. Did you mean filters\? It accepts: filters, kernel_size, "):
        _plan({"name": "conv1d", "filter": 4}, {"name": "dense", "units": 1})


def test_arguments_keras_layer_itself_takes_are_accepted():
    plan = _plan({"name": "dense", "units": 1, "trainable": False, "dtype": "float32"})
    assert plan.components["model"].kwargs["layers"][0]["trainable"] is False


def test_every_bad_layer_is_reported_at_once():
    with pytest.raises(ConfigError) as raised:
        _plan({"name": "dense", "unit": 4}, {"name": "dense", "units": 1, "activation": "rellu"})
    assert "model.layers[0].unit:" in str(raised.value) and "model.layers[1].activation='rellu'" in str(raised.value)


def test_an_unknown_layer_stays_an_unknown_component_error():
    with pytest.raises(UnknownComponentError, match=r"model.layers\[1\].name: unknown layer 'max_pooling'. .*Did you mean .*'max_pooling2d'"):
        _plan({"name": "dense", "units": 1}, {"name": "max_pooling"})


def test_an_unknown_activation_name_lists_close_names():
    with pytest.raises(ConfigError, match=r"model.layers\[0\].recurrent_activation='sigmod': unknown Keras activation name. Did you mean 'sigmoid'.*Known activations: celu, "):
        _plan({"name": "lstm", "units": 2, "recurrent_activation": "sigmod"})


@pytest.mark.parametrize("argument, value, expected", [
    ("kernel_initializer", "glorot_unifrom", r"kernel_initializer='glorot_unifrom': unknown Keras initializer name. Did you mean 'glorot_uniform'"),
    ("kernel_regularizer", "l3", r"kernel_regularizer='l3': unknown Keras regularizer name. .*Known regularizers: l1, l1_l2, l2"),
    ("bias_constraint", "nonneg", r"bias_constraint='nonneg': unknown Keras constraint name. Did you mean 'non_neg'"),
])
def test_unknown_initializer_regularizer_and_constraint_names(argument, value, expected):
    with pytest.raises(ConfigError, match=expected):
        _plan({"name": "dense", "units": 1, argument: value})


@pytest.mark.parametrize("value, expected", [
    ({"class_name": "function", "config": "system", "module": "os"}, r"got a serialized Keras object .* a config cannot load code"),
    (0.5, r"activation=0.5: layer 'dense' takes activations by Keras name only \(a string\), or null"),
    (["relu"], r"activation=\['relu'\]: layer 'dense' takes activations by Keras name only"),
])
def test_a_callable_or_object_in_place_of_a_name_is_refused(value, expected):
    with pytest.raises(ConfigError, match=expected):
        _plan({"name": "dense", "units": 1, "activation": value})


def test_keras_names_and_null_are_accepted():
    plan = _plan({"name": "dense", "units": 1, "activation": None, "kernel_initializer": "HeNormal", "kernel_regularizer": "l2", "bias_constraint": "non_neg"})
    assert plan.components["model"].key == "sequential"


def test_a_value_the_layer_refuses_names_the_layer(tmp_path):
    from framework.run import run

    cfg = compose(["model=sequential", "logger=none", "epochs=1"])
    cfg.model.layers = [{"name": "conv1d", "filters": 2, "kernel_size": 3, "padding": "sideways"}]
    with pytest.raises(ConfigError, match=r"model.layers\[0\]: layer 'conv1d' rejected its arguments \{filters: 2, kernel_size: 3, padding: 'sideways'\}: .*padding"):
        run(cfg, tmp_path / "run")


def test_conv_stack_trains_under_both_strategies_to_the_same_weights(conv_runs):
    tape, fit = conv_runs["tape"], conv_runs["fit"]
    assert list(tape.variables) == ["sequential/conv2d/kernel", "sequential/conv2d/bias", "sequential/dense/kernel", "sequential/dense/bias"]
    for path, value in tape.variables.items():
        np.testing.assert_allclose(value, fit.variables[path], atol=1e-5, err_msg=path)
    for name in ("loss", "val_loss"):
        assert tape.metrics[name] == pytest.approx(fit.metrics[name], abs=1e-5)
    assert tape.global_step == fit.global_step == 3 * 3  # 72 training examples in batches of 32


def test_conv_stack_learns(tmp_path, image_data_key):
    from framework.run import run

    cfg = _conv_config("tape", image_data_key)
    cfg.epochs, cfg.verbose = 30, 0
    short = run(_conv_config("tape", image_data_key), tmp_path / "short")
    long = run(cfg, tmp_path / "long")
    assert long.metrics["loss"] < short.metrics["loss"] - 0.05


def test_model_summary_is_written_and_counts_parameters(conv_runs):
    for result in conv_runs.values():
        text = (result.run_dir and open(f"{result.run_dir}/model_summary.txt").read())
        for line in ("conv2d (Conv2D)", "max_pooling2d (MaxPooling2D)", "flatten (Flatten)", "dense (Dense)", f"Total params: {CONV_PARAMETERS}"):
            assert line in text
        assert "(None, " in text and "(1, " not in text  # the batch dimension, as Keras shows it: any size
        assert result.parameters == {"trainable": CONV_PARAMETERS, "total": CONV_PARAMETERS}
        assert json.loads(open(f"{result.run_dir}/summary.json").read())["parameters"] == result.parameters


def test_non_trainable_parameters_count_in_the_total_only(tmp_path):
    from framework.run import run

    cfg = compose(["model=sequential", "data=sine", "logger=none", "epochs=1", "verbose=0", "data.num_examples=16"])
    cfg.model.layers = [{"name": "dense", "units": 4}, {"name": "batch_normalization"}, {"name": "dense", "units": 1}]
    result = run(cfg, tmp_path / "run")
    # dense 1*4+4; batch normalization: gamma, beta trainable, moving mean and variance not; dense 4+1.
    assert result.parameters == {"trainable": 8 + 8 + 5, "total": 8 + 16 + 5}
    assert "Non-trainable params: 8" in (tmp_path / "run" / "model_summary.txt").read_text()


def test_parameter_counts_are_hparams(conv_runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    accumulator = EventAccumulator(f"{conv_runs['fit'].run_dir}/tensorboard", size_guidance={"tensors": 0})
    accumulator.Reload()
    start = plugin_data_pb2.HParamsPluginData.FromString(accumulator.SummaryMetadata("_hparams_/session_start_info").plugin_data.content)
    hparams = {key: getattr(value, value.WhichOneof("kind")) for key, value in start.session_start_info.hparams.items()}
    assert hparams["parameters.trainable"] == hparams["parameters.total"] == CONV_PARAMETERS


def test_summary_is_shown_at_verbose_1_and_not_at_0(tmp_path, caplog):
    from framework.run import run

    for verbose in (0, 1):
        caplog.clear()
        cfg = compose(["+experiment=seed_linear", "logger=none", "epochs=1", f"verbose={verbose}"])
        with caplog.at_level("INFO", logger="framework"):
            run(cfg, tmp_path / f"verbose{verbose}")
        shown = any("Total params: 2" in record.getMessage() for record in caplog.records if record.name == "framework")  # the console logger
        assert shown is (verbose == 1)
        assert "Total params: 2" in (tmp_path / f"verbose{verbose}" / "model_summary.txt").read_text()


def test_list_shows_keras_layers_with_their_arguments(capsys):
    from framework.list import main

    main(["layer"])
    out = capsys.readouterr().out
    assert out.startswith(f"layer ({len(LAYERS.keys())})")
    assert "  conv2d " in out and "filters (required), kernel_size (required), strides=(1, 1), padding='valid'" in out
    assert "  max_pooling2d " in out and "pool_size=(2, 2)" in out


@pytest.mark.slow
@pytest.mark.parametrize("key, init_kwargs", [("batch_normalization", {"momentum": 0.9}), ("p_re_lu", {})])
def test_registered_keras_layers_pass_the_conformance_kit(key, init_kwargs, tmp_path):
    from framework.testing import check_layer

    check_layer(LAYERS.get(key).factory, init_kwargs, workdir=tmp_path)
