"""Classifiers end to end: class-id targets, normalized inputs, the held-out test split, predictions by class name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers.runs import run_in

IRIS = (
    "data=iris", "data.val_fraction=0.2", "data.test_fraction=0.2", "data.normalize=true", "model=sequential",
    "model.layers=[{name: dense, units: 16, activation: relu}, {name: dense, units: 3}]",
    "loss=sparse_categorical_crossentropy", "loss.from_logits=true",
    "optimizer=adam", "optimizer.learning_rate=0.05", "epochs=30", "verbose=0", "metrics=[accuracy]",
)


@pytest.fixture(scope="module")
def iris_runs(tmp_path_factory):
    """The iris classifier under each strategy."""
    return {s: run_in(tmp_path_factory.mktemp(s), *IRIS, f"strategy={s}") for s in ("tape", "fit")}


def test_both_strategies_give_the_same_classifier_and_test_metrics(iris_runs):
    tape, fit = iris_runs["tape"], iris_runs["fit"]
    assert set(tape.metrics) == set(fit.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"}
    for name in tape.metrics:
        assert tape.metrics[name] == pytest.approx(fit.metrics[name], abs=1e-5), name
    for path, value in tape.variables.items():
        np.testing.assert_allclose(value, fit.variables[path], atol=1e-5, err_msg=path)
    assert tape.metrics["test_loss"] < 0.5  # it learned: chance is log(3) = 1.1


def test_the_run_keeps_its_class_names_a_confusion_matrix_and_test_scalars(iris_runs):
    from helpers.events import read_scalars

    run_dir = Path(iris_runs["tape"].run_dir)
    assert json.loads((run_dir / "classes.json").read_text()) == {"names": ["setosa", "versicolor", "virginica"], "from_logits": True}
    assert (run_dir / "confusion.png").read_bytes().startswith(b"\x89PNG")
    scalars = read_scalars(run_dir / "tensorboard")
    assert scalars["test/loss"] == [(iris_runs["tape"].global_step, pytest.approx(iris_runs["tape"].metrics["test_loss"]))]


def test_the_saved_model_normalizes_raw_inputs_itself(iris_runs):
    import keras

    from framework.saving import load_model

    model = load_model(iris_runs["fit"].run_dir)
    assert isinstance(model.layers[0], keras.layers.Normalization)
    mean = np.asarray(model.layers[0].mean).reshape(-1)
    assert 5.0 < mean[0] < 6.5  # sepal length in cm: statistics of raw iris features, kept in the model


def test_predict_names_the_class_and_its_probabilities(iris_runs, capsys):
    from framework.predict import main

    main([f"run={iris_runs['tape'].run_dir}", "x=[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]"])
    header, setosa, virginica = capsys.readouterr().out.strip().splitlines()
    assert header == "x0,x1,x2,x3,class,p_setosa,p_versicolor,p_virginica"
    assert setosa.split(",")[4] == "setosa" and virginica.split(",")[4] == "virginica"
    assert sum(float(p) for p in setosa.split(",")[5:]) == pytest.approx(1.0, abs=1e-5)


def test_class_probabilities_from_logits_probabilities_and_one_sigmoid_output():
    from framework.predict import class_probabilities

    logits = np.array([[2.0, 0.0, -1.0]])
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(class_probabilities(logits, 3, from_logits=True), expected)
    probabilities = np.array([[0.2, 0.3, 0.5]])
    np.testing.assert_allclose(class_probabilities(probabilities, 3, from_logits=False), probabilities)
    np.testing.assert_allclose(class_probabilities(np.array([[0.0]]), 2, from_logits=True), [[0.5, 0.5]])
    np.testing.assert_allclose(class_probabilities(np.array([[0.9]]), 2, from_logits=False), [[0.1, 0.9]])


def test_a_classifier_with_the_wrong_number_of_outputs_is_a_clear_error(train):
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=r"outputs shape \(4,\) per example but the data's targets need 3 class scores.*\{name: dense, units: 3\}"):
        train("data=iris", "model=sequential", "model.layers=[{name: dense, units: 4}]", "loss=sparse_categorical_crossentropy", "epochs=1")


@pytest.mark.slow
def test_the_digits_cnn_preset_reaches_97_percent_held_out_accuracy_under_both_strategies(tmp_path):
    tape, fit = (run_in(tmp_path / s, "+experiment=digits_cnn", f"strategy={s}", "verbose=0") for s in ("tape", "fit"))
    assert tape.metrics["test_accuracy"] >= 0.97
    # On JAX, XLA compiles the two loops' steps into different fusions: after one epoch they
    # agree to 2e-7, after the preset's epochs float rounding has drifted by about 4e-5.
    tolerance = 1e-4 if os.environ.get("KERAS_BACKEND") == "jax" else 1e-5
    for name, value in tape.metrics.items():
        assert fit.metrics[name] == pytest.approx(value, abs=tolerance), name
