"""Both strategies through run(cfg): the tutorial's numbers, parity, TensorBoard events."""

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.events import read_scalars
from helpers.runs import run_in

TUTORIAL = ("+experiment=seed_linear",)


@pytest.fixture(scope="module")
def tutorial_runs(tmp_path_factory):
    """The tutorial experiment under each strategy (shared: each run takes ~1 s)."""
    return {strategy: run_in(tmp_path_factory.mktemp(strategy), *TUTORIAL, f"strategy={strategy}") for strategy in ("tape", "fit")}


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_tutorial_ends_near_the_true_line(tutorial_runs, strategy):
    variables = tutorial_runs[strategy].variables
    assert variables["linear/W"] == pytest.approx(3.0, abs=0.35)
    assert variables["linear/b"] == pytest.approx(2.0, abs=0.35)
    assert tutorial_runs[strategy].epochs == 10 and tutorial_runs[strategy].global_step == 10


def test_strategies_end_with_the_same_weights(tutorial_runs):
    tape, fit = tutorial_runs["tape"], tutorial_runs["fit"]
    for path in ("linear/W", "linear/b"):
        assert tape.variables[path] == pytest.approx(fit.variables[path], abs=1e-5)
    assert tape.metrics["loss"] == pytest.approx(fit.metrics["loss"], abs=1e-5)


def test_tensorboard_holds_loss_and_variables_for_every_epoch(tutorial_runs):
    for strategy, result in tutorial_runs.items():
        scalars = read_scalars(f"{result.run_dir}/tensorboard")
        assert {"epoch/loss", "epoch/learning_rate", "variables/linear/W", "variables/linear/b"} <= set(scalars)
        assert [step for step, _ in scalars["epoch/loss"]] == list(range(1, 11)), strategy
        # Variables are also written before the first step, from the initial values.
        assert [step for step, _ in scalars["variables/linear/W"]] == list(range(0, 11))
        assert scalars["variables/linear/W"][0][1] == 5.0 and scalars["variables/linear/b"][0][1] == 0.0
        assert scalars["variables/linear/W"][-1][1] == pytest.approx(result.variables["linear/W"])
        assert scalars["epoch/learning_rate"][0][1] == pytest.approx(0.1)


def test_strategies_write_the_same_tags_steps_and_values(tutorial_runs):
    tape = read_scalars(f"{tutorial_runs['tape'].run_dir}/tensorboard")
    fit = read_scalars(f"{tutorial_runs['fit'].run_dir}/tensorboard")
    assert set(tape) == set(fit)
    for tag in tape:
        assert [s for s, _ in tape[tag]] == [s for s, _ in fit[tag]], tag
        np.testing.assert_allclose([v for _, v in tape[tag]], [v for _, v in fit[tag]], atol=1e-5, err_msg=tag)


def test_run_directory_holds_summary_and_reloadable_model(tutorial_runs):
    from framework.saving import load_model

    result = tutorial_runs["tape"]
    with open(f"{result.run_dir}/summary.json") as file:
        summary = json.load(file)
    assert summary == json.loads(json.dumps(result.to_dict()))
    model = load_model(result.run_dir)
    prediction = float(model(np.array([[1.0]], "float32"))[0, 0])
    assert prediction == pytest.approx(result.variables["linear/W"] + result.variables["linear/b"], rel=1e-6)


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_long_training_converges(train, strategy):
    result = train(*TUTORIAL, f"strategy={strategy}", "epochs=200", "logger=none")
    assert result.variables["linear/W"] == pytest.approx(3.0, abs=0.1)
    assert result.variables["linear/b"] == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("streaming", ["false", "true"])
def test_parity_holds_with_minibatches_shuffling_and_validation(train, streaming):
    overrides = (
        f"data.streaming={streaming}",
        "model=sequential",
        "data=sine",
        "data.num_examples=200",
        "data.batch_size=32",
        "optimizer=adam",
        "optimizer.learning_rate=0.01",
        "epochs=3",
        "logger.log_every_n_steps=2",
    )
    tape, fit = (train(*overrides, f"strategy={s}") for s in ("tape", "fit"))
    assert set(tape.metrics) == set(fit.metrics) == {"loss", "val_loss"}
    assert tape.global_step == fit.global_step == 15
    for path, value in tape.variables.items():
        np.testing.assert_allclose(value, fit.variables[path], atol=1e-5, err_msg=path)
    for name in tape.metrics:
        assert tape.metrics[name] == pytest.approx(fit.metrics[name], abs=1e-5)
    tape_scalars, fit_scalars = read_scalars(f"{tape.run_dir}/tensorboard"), read_scalars(f"{fit.run_dir}/tensorboard")
    assert [s for s, _ in tape_scalars["step/loss"]] == [2, 4, 6, 8, 10, 12, 14]
    np.testing.assert_allclose([v for _, v in tape_scalars["step/loss"]], [v for _, v in fit_scalars["step/loss"]], atol=1e-5)


def test_tensor_variables_are_logged_as_histograms_and_scalars_as_scalars(train):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = train("model=sequential", "model.layers=[{name: my_dense, num_outputs: 4}, {name: dense, units: 1}]", "epochs=1")
    accumulator = EventAccumulator(f"{result.run_dir}/tensorboard", size_guidance={"tensors": 0})
    accumulator.Reload()
    plugins = {tag: accumulator.SummaryMetadata(tag).plugin_data.plugin_name for tag in accumulator.Tags()["tensors"]}
    assert plugins["variables/sequential/my_dense_layer/kernel"] == "histograms"  # shape (1, 4)
    assert plugins["variables/sequential/dense/kernel"] == "histograms"  # shape (4, 1)
    assert plugins["variables/sequential/dense/bias"] == "scalars"  # one value
    assert plugins["epoch/loss"] == "scalars"


def test_summary_lists_small_variables_and_describes_large_ones(train):
    from framework.saving import load_model

    result = train("model=sequential", "model.layers=[{name: dense, units: 300}, {name: dense, units: 300}, {name: dense, units: 1}]",
                   "epochs=1", "plots=false")
    summary = json.loads(Path(result.run_dir, "summary.json").read_text())
    saved = [v.numpy() for v in load_model(result.run_dir).trainable_variables]  # kernel, bias of each layer
    large = "sequential/dense_1/kernel"  # 300 x 300 = 90,000 elements
    assert large not in summary["variables"] and set(summary["large_variables"]) == {large}
    described = summary["large_variables"][large]
    assert described["shape"] == [300, 300]
    for statistic in ("mean", "std", "min", "max"):
        assert described[statistic] == pytest.approx(float(getattr(np, statistic)(saved[2])), rel=1e-5)
    np.testing.assert_allclose(summary["variables"]["sequential/dense/kernel"], saved[0])
    assert len(summary["variables"]) == len(saved) - 1


@pytest.mark.parametrize(
    "every, epochs, steps",
    [(3, 10, [3, 6, 9, 10]), (100, 250, [100, 200, 250])],  # asked inside the loop / at call ends
)
def test_thinned_epoch_records_land_on_the_same_steps_under_both_strategies(train, every, epochs, steps):
    runs = [
        train("+experiment=seed_linear", f"strategy={s}", f"epochs={epochs}", f"logger.log_every_n_epochs={every}", "verbose=0")
        for s in ("tape", "fit")
    ]
    tape, fit = (read_scalars(f"{r.run_dir}/tensorboard") for r in runs)
    assert [step for step, _ in tape["epoch/loss"]] == steps
    for tag in ("epoch/loss", "variables/linear/W", "epoch/learning_rate"):
        assert [s for s, _ in tape[tag]] == [s for s, _ in fit[tag]], tag
        np.testing.assert_allclose([v for _, v in tape[tag]], [v for _, v in fit[tag]], atol=1e-5, err_msg=tag)


def test_plots_can_be_turned_off(train):
    result = train("+experiment=seed_linear", "epochs=2", "plots=false", "verbose=0")
    assert not list(Path(result.run_dir).glob("*.png"))
    assert list(Path(result.run_dir, "tensorboard").iterdir())  # the events are still there
