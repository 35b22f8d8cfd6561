"""Keras's losses by key: classification losses with from_logits, argument checks, config files."""

import keras
import numpy as np
import pytest

from framework.config import compose
from framework.config.plan import plan_run
from framework.errors import ConfigError
from framework.registry import LOSSES


@pytest.fixture(scope="module", autouse=True)
def _builtins_registered():
    from framework.plugins import load_plugins

    load_plugins()


def test_every_keras_loss_class_has_its_snake_case_key():
    expected = {
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "mean_squared_error": keras.losses.MeanSquaredError, "mse": keras.losses.MeanSquaredError,
        "mean_absolute_error": keras.losses.MeanAbsoluteError, "mae": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber, "kl_divergence": keras.losses.KLDivergence, "poisson": keras.losses.Poisson,
    }
    assert {key: LOSSES.get(key).factory for key in expected} == expected
    assert "loss" not in LOSSES and "loss_function_wrapper" not in LOSSES


LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], dtype="float32")
CLASSES = np.array([[0], [2]])


@pytest.mark.parametrize("from_logits", [False, True])
def test_classification_losses_honour_from_logits(from_logits):
    outputs = LOGITS if from_logits else keras.ops.convert_to_numpy(keras.ops.softmax(LOGITS))
    sparse = LOSSES.build({"name": "sparse_categorical_crossentropy", "from_logits": from_logits}, where="loss")
    one_hot = LOSSES.build({"name": "categorical_crossentropy", "from_logits": from_logits}, where="loss")
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(LOGITS))
    expected = -np.mean(np.log(probabilities[[0, 1], CLASSES[:, 0]]))
    assert float(sparse(CLASSES, outputs)) == pytest.approx(expected, rel=1e-5)
    assert float(one_hot(np.eye(3)[CLASSES[:, 0]], outputs)) == pytest.approx(expected, rel=1e-5)


def test_binary_crossentropy_honours_from_logits():
    logits, targets = np.array([[1.5], [-0.5]], dtype="float32"), np.array([[1.0], [0.0]], dtype="float32")
    p = 1 / (1 + np.exp(-logits))
    expected = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    from_logits = LOSSES.build({"name": "binary_crossentropy", "from_logits": True}, where="loss")
    from_probabilities = LOSSES.build({"name": "binary_crossentropy", "from_logits": False}, where="loss")
    assert float(from_logits(targets, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(from_probabilities(targets, p)) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("key", ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"])
def test_classification_configs_compose_and_validate(key):
    plan = plan_run(compose([f"loss={key}", "loss.from_logits=true"]))
    assert plan.components["loss"].key == key
    assert plan.components["loss"].kwargs["from_logits"] is True


def test_a_misspelt_loss_argument_fails_at_validation():
    with pytest.raises(ConfigError, match=r"loss.from_logit: loss 'binary_crossentropy' takes no argument 'from_logit'. Did you mean from_logits\? It accepts: from_logits, label_smoothing, axis, reduction, dtype\."):
        plan_run(compose(["loss=binary_crossentropy", "+loss.from_logit=true"]))


def test_list_shows_losses_with_their_arguments_and_config_files(capsys):
    from framework.list import main

    main(["loss"])
    out = capsys.readouterr().out
    assert out.startswith(f"loss ({len(LOSSES.keys())})")
    assert "from_logits=False, label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size', dtype=None" in out
    assert "defaults from configs/loss/sparse_categorical_crossentropy.yaml" in out


def test_the_short_keys_keep_working():
    y_true, y_pred = np.array([[1.0], [2.0]]), np.array([[1.5], [1.0]])
    assert float(LOSSES.build({"name": "mse"}, where="loss")(y_true, y_pred)) == pytest.approx(0.625)
    assert float(LOSSES.build({"name": "mae"}, where="loss")(y_true, y_pred)) == pytest.approx(0.75)
    with pytest.raises(ConfigError, match=r"loss.delta=-1.0 is invalid: input should be greater than 0"):
        LOSSES.resolve({"name": "huber", "delta": -1.0}, where="loss")
