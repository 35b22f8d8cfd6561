"""Metrics by key: the same Keras values under both strategies, everywhere a run reports them,
and any logged value as objective, early-stopping monitor and best-model monitor."""

import inspect
import logging

import keras
import numpy as np
import pytest
from helpers.classification import OVERRIDES, registered_halfplane_data
from helpers.events import read_scalars
from helpers.runs import run_in

METRICS = ("accuracy", "auc", "precision", "recall")
CLASSIFIER = (*OVERRIDES, "metrics=[accuracy,{name: auc, curve: PR},precision,recall]", "epochs=8",
              "checkpoint.best.monitor=val_auc", "checkpoint.best.mode=max", "objective.metric=val_accuracy", "objective.mode=max")


@pytest.fixture(scope="module")
def classifier_runs(tmp_path_factory):
    with registered_halfplane_data():
        return {s: run_in(tmp_path_factory.mktemp(s), *CLASSIFIER, f"strategy={s}") for s in ("tape", "fit")}


def test_both_strategies_log_the_same_metric_names_and_values(classifier_runs):
    tape, fit = classifier_runs["tape"], classifier_runs["fit"]
    expected = {"loss", *METRICS, "val_loss", *(f"val_{name}" for name in METRICS)}
    assert set(tape.metrics) == set(fit.metrics) == expected
    for name in expected:
        assert tape.metrics[name] == pytest.approx(fit.metrics[name], abs=1e-5), name
    assert 0.5 < tape.metrics["val_accuracy"] < 1.0  # learnt something, and not a constant


def test_tensorboard_has_every_metric_every_epoch_with_equal_values(classifier_runs):
    tape, fit = (read_scalars(f"{classifier_runs[s].run_dir}/tensorboard") for s in ("tape", "fit"))
    for name in (*METRICS, *(f"val_{m}" for m in METRICS)):
        tag = f"epoch/{name}"
        assert [step for step, _ in tape[tag]] == [step for step, _ in fit[tag]] == [4 * e for e in range(1, 9)], tag
        np.testing.assert_allclose([v for _, v in tape[tag]], [v for _, v in fit[tag]], atol=1e-5, err_msg=tag)
    assert tape["epoch/val_auc"][-1][1] == pytest.approx(classifier_runs["tape"].metrics["val_auc"], abs=1e-6)


def test_validation_metrics_are_what_keras_computes_on_the_validation_data(classifier_runs):
    from framework.config import compose
    from framework.config.plan import plan_run
    from framework.saving import load_model

    result = classifier_runs["tape"]
    with registered_halfplane_data():
        data = plan_run(compose([*CLASSIFIER, "strategy=tape"])).build("data")
    model = load_model(result.run_dir)  # the last epoch's validation ran on these weights
    metrics = [keras.metrics.BinaryAccuracy(), keras.metrics.AUC(curve="PR"), keras.metrics.Precision(), keras.metrics.Recall()]
    for x, y in data.batches("validation"):
        outputs = model(x, training=False)
        for metric in metrics:
            metric.update_state(y, outputs)
    for name, metric in zip(METRICS, metrics):
        assert result.metrics[f"val_{name}"] == pytest.approx(float(metric.result()), abs=1e-5), name


def test_the_best_model_is_the_best_epochs_under_both_strategies(classifier_runs):
    from framework.saving import load_model

    weights = {}
    for strategy, result in classifier_runs.items():
        scalars = read_scalars(f"{result.run_dir}/tensorboard")
        val_auc = [value for _, value in scalars["epoch/val_auc"]]
        best_step = scalars["epoch/val_auc"][int(np.argmax(val_auc))][0]  # the first best epoch, as Keras keeps it
        best = load_model(f"{result.run_dir}/model_best.keras")
        weights[strategy] = [w.numpy() for w in best.trainable_variables]
        logged = dict(scalars["variables/sequential/dense_1/bias"])[best_step]
        assert float(weights[strategy][-1][0]) == pytest.approx(logged, abs=1e-6)
    for tape_weight, fit_weight in zip(weights["tape"], weights["fit"]):
        np.testing.assert_allclose(tape_weight, fit_weight, atol=1e-5)


def test_the_objective_is_the_chosen_metric(classifier_runs):
    result = classifier_runs["fit"]
    assert result.objective == result.metrics["val_accuracy"]
    assert result.to_dict()["objective"] == result.metrics["val_accuracy"]


def test_tape_traces_once_with_metrics_that_create_their_state_late(train):
    result = train("+experiment=seed_linear", "metrics=[r2_score,mae]", "data.val_fraction=0.2", "verbose=0", "epochs=20")
    assert result.loop["traces"] == 1
    assert set(result.metrics) == {"loss", "mae", "r2_score", "val_loss", "val_mae", "val_r2_score"}


@pytest.mark.parametrize("verbose", [1, 2])
def test_console_shows_the_metrics_in_the_same_order_under_both_strategies(train, capsys, caplog, verbose):
    caplog.set_level(logging.INFO, logger="framework")
    shown = {}
    for strategy in ("tape", "fit"):
        caplog.clear()
        train("+experiment=seed_linear", "metrics=[rmse,mae]", "data.val_fraction=0.2", "epochs=2", f"verbose={verbose}", f"strategy={strategy}")
        if verbose == 1:  # Keras's progress bar, under both strategies
            text = capsys.readouterr().out
            # Epochs count from 0, as the tutorial's lines (verbose=2) count them; Keras's own heading counts from 1.
            assert "Epoch  0 (1 of 2)" in text and "Epoch  1 (2 of 2)" in text and "Epoch 1/2" not in text, text
            shown[strategy] = [line.split(" - ", 1)[1].split() for line in text.splitlines() if " - loss:" in line][-1]
        else:
            shown[strategy] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch  1:")][0]
    if verbose == 1:
        names = [word for word in shown["tape"] if word.endswith(":")]
        assert names == ["loss:", "mae:", "rmse:", "val_loss:", "val_mae:", "val_rmse:"]
        assert names == [word for word in shown["fit"] if word.endswith(":")]
    else:
        assert shown["tape"].startswith("Epoch  1: W=")
        names, values = {}, {}
        for strategy, line in shown.items():
            pairs = [pair.split("=") for pair in line.split(", ", 1)[1].split(", ")]
            names[strategy], values[strategy] = [n for n, _ in pairs], [float(v) for _, v in pairs]
        assert names["tape"] == names["fit"] == ["loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse"]
        np.testing.assert_allclose(values["tape"], values["fit"], atol=2e-5)


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_early_stopping_watches_a_metric_with_its_mode(train, strategy):
    # r2_score rises while training goes well: with mode=max and no patience it stops when it
    # first falls, with mode=min it stops after the first epoch.
    common = ("+experiment=seed_linear", "metrics=[r2_score]", "epochs=30", "verbose=0", f"strategy={strategy}",
              "early_stopping.enabled=true", "early_stopping.monitor=r2_score", "early_stopping.patience=0")
    assert train(*common, "early_stopping.mode=min").epochs == 2
    assert train(*common, "early_stopping.mode=max").epochs > 5


@pytest.mark.parametrize(
    "targets, outputs, keras_choice",
    [
        ([[1.0], [0.0], [1.0]], [[0.9], [0.6], [0.2]], "binary"),
        ([[2], [0], [1]], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.6, 0.3, 0.1]], "sparse categorical"),
        ([[0, 0, 1], [1, 0, 0], [1, 0, 0]], [[0.1, 0.2, 0.7], [0.3, 0.6, 0.1], [0.6, 0.3, 0.1]], "categorical"),
    ],
)
def test_accuracy_chooses_as_keras_compile_does(targets, outputs, keras_choice):
    from framework.metrics import Accuracy

    y, p = np.array(targets, "float32"), np.array(outputs, "float32")
    model = keras.Sequential([keras.Input((p.shape[1],)), keras.layers.Identity()])
    model.compile(loss="mse" if keras_choice != "sparse categorical" else "sparse_categorical_crossentropy", metrics=["accuracy"])
    expected = model.evaluate(p, y, verbose=0, return_dict=True)["accuracy"]
    ours = Accuracy()
    ours.update_state(y, p)
    assert float(ours.result()) == pytest.approx(expected) and 0 < expected < 1, keras_choice


def test_metric_argument_defaults_are_keras_defaults():
    from framework.metrics import keras_metrics  # noqa: F401  registers them
    from framework.registry import METRICS

    for entry in METRICS.entries():
        parameters = inspect.signature(entry.factory).parameters
        for name, field in entry.config.model_fields.items():
            assert field.default == parameters[name].default, f"{entry.key}.{name}"
