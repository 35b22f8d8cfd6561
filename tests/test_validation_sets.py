"""validation_sets: extra validation data, evaluated every epoch, logged as val_<set>_<value> everywhere."""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest
import yaml
from helpers.data_files import flowers_csv, regression_csv, write_csv
from helpers.events import read_scalars
from helpers.runs import run_cli

from framework.run_directory import RunDirectory

STRATEGIES = ["tape", "fit"]


def _shifted_csv(folder):
    """regression.csv's columns, with inputs shifted and scaled away from the training data's."""
    rng = np.random.default_rng(2)
    a, b = rng.normal(loc=3.0, scale=2.0, size=(2, 40))
    y = 2 * a - b + 1
    return write_csv(folder / "shifted.csv", "a,b,y\n" + "".join(f"{p:.5f},{q:.5f},{r:.5f}\n" for p, q, r in zip(a, b, y)))


def _evaluated(run_dir, x, y, batch_size):
    """What Keras's own evaluate says of the saved model on these arrays."""
    model = keras.saving.load_model(RunDirectory(run_dir).model)
    return model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_set_is_logged_as_keras_evaluates_it_with_the_training_normalizer(tmp_path, train, strategy):
    shifted = _shifted_csv(tmp_path)
    result = train(
        f"strategy={strategy}", "data=csv", f"data.path={regression_csv(tmp_path)}", "data.target=y", "data.val_fraction=0.25",
        "data.normalize=true", "data.batch_size=16", "metrics=[mae]", "epochs=3", "verbose=0", "logger=[tensorboard,csv]",
        "plots=false", "logger.log_every_n_steps=2", f"+validation_sets.shifted={{path: {shifted}}}",
    )
    table = np.loadtxt(shifted, delimiter=",", skiprows=1, dtype=np.float32)
    expected = _evaluated(result.run_dir, table[:, :2], table[:, 2:], batch_size=16)
    logged = {"val_shifted_loss": expected["loss"], "val_shifted_mae": expected["mae"]}
    summary = json.loads(RunDirectory(result.run_dir).summary.read_text())
    for name, value in logged.items():
        assert summary["metrics"][name] == pytest.approx(value, rel=1e-5, abs=1e-5)
    scalars = read_scalars(RunDirectory(result.run_dir).events)
    for name, value in logged.items():
        assert len(scalars[f"epoch/{name}"]) == 3
        assert scalars[f"epoch/{name}"][-1][1] == pytest.approx(value, rel=1e-5, abs=1e-5)
    assert scalars["epoch/val_shifted_loss"][-1][0] == scalars["epoch/val_loss"][-1][0]  # the same step meaning
    assert [step for step, _ in scalars["step/loss"]] == list(range(2, 16, 2))  # 72 training rows: 5 steps an epoch
    with RunDirectory(result.run_dir).metrics_csv.open() as file:
        rows = list(csv.DictReader(file))
    assert [float(row["val_shifted_loss"]) for row in rows] == pytest.approx([p[1] for p in scalars["epoch/val_shifted_loss"]])


def test_a_set_with_some_of_the_classes_is_scored_on_the_training_class_ids(tmp_path, train):
    training = flowers_csv(tmp_path)  # kinds rose, iris, lily: ids iris 0, lily 1, rose 2
    lines = (tmp_path / "flowers.csv").read_text().splitlines()
    subset = write_csv(tmp_path / "roses.csv", "\n".join([lines[0], *(line for line in lines[1:] if not line.endswith("iris"))]) + "\n")
    result = train(
        "data=csv", f"data.path={training}", "data.target=kind", "data.val_fraction=0", "model=sequential",
        "model.layers=[{name: dense, units: 3}]", "loss=sparse_categorical_crossentropy", "loss.from_logits=true",
        "metrics=[accuracy]", "epochs=2", "verbose=0", "logger=none", "plots=false", f"+validation_sets.roses={{path: {subset}}}",
    )
    rows = [line.split(",") for line in open(subset).read().splitlines()[1:]]
    x = np.array([[float(v) for v in row[:3]] for row in rows], np.float32)
    y = np.array([["iris", "lily", "rose"].index(row[3]) for row in rows], np.int32)
    expected = _evaluated(result.run_dir, x, y, batch_size=32)
    assert result.metrics["val_roses_loss"] == pytest.approx(expected["loss"], rel=1e-5, abs=1e-5)
    assert result.metrics["val_roses_accuracy"] == pytest.approx(expected["accuracy"], abs=1e-6)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_early_stopping_on_a_sets_loss_stops_when_that_loss_stops_improving(train, strategy):
    # The set is y = 3x - 2: the closer the model's b comes to the training data's (y = 3x + 2), the worse it does there.
    shifted = "+validation_sets.shifted={true_b: -2.0}"
    common = [f"strategy={strategy}", "data.num_examples=64", "epochs=20", "verbose=0", "logger=none", "plots=false", shifted]
    result = train(*common, "early_stopping.enabled=true", "early_stopping.monitor=val_shifted_loss", "early_stopping.patience=2")
    unstopped = train(*common)
    assert unstopped.epochs == 20 and unstopped.metrics["val_shifted_loss"] > result.metrics["val_shifted_loss"]
    assert result.epochs == 3  # best at the first epoch, then two without improvement
    assert train(*common, "early_stopping.enabled=true", "early_stopping.monitor=loss", "early_stopping.patience=2").epochs == 20


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_lr_on_plateau_lowers_the_rate_when_a_sets_loss_stalls(train, strategy):
    result = train(f"strategy={strategy}", "data.num_examples=64", "epochs=4", "verbose=0", "logger=none", "plots=false",
                   "+validation_sets.shifted={true_b: -2.0}", "lr_on_plateau.enabled=true", "lr_on_plateau.monitor=val_shifted_loss",
                   "lr_on_plateau.patience=1")
    assert result.metrics["learning_rate"] < 0.1  # the set's loss rises from the first epoch on (see above)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_best_model_of_a_sets_loss_is_the_epoch_where_it_was_lowest(tmp_path, strategy):
    from helpers.runs import run_in

    from framework.data.linear import LinearRegressionData

    result = run_in(tmp_path / "run", f"strategy={strategy}", "data.num_examples=64", "epochs=3", "verbose=0", "logger=csv",
                    "plots=false", "+validation_sets.shifted={true_b: -2.0}", "checkpoint.best.monitor=val_shifted_loss")
    with RunDirectory(result.run_dir).metrics_csv.open() as file:
        curve = [float(row["val_shifted_loss"]) for row in csv.DictReader(file)]
    assert curve[0] < curve[1] < curve[2]  # lowest at the first epoch (see the early stopping test)
    shifted = LinearRegressionData(num_examples=64, batch_size=64, val_fraction=0.0, test_fraction=0.0, shuffle=False, seed=42,
                                   normalize=False, streaming=False, num_features=1, true_w=3.0, true_b=-2.0, noise_std=1.0)
    x, y = shifted.examples("train")
    best = keras.saving.load_model(RunDirectory(result.run_dir).best_model)
    assert best.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)["loss"] == pytest.approx(curve[0], rel=1e-5)


def test_a_set_can_be_the_objective(train):
    result = train("epochs=2", "verbose=0", "logger=none", "plots=false", "+validation_sets.fresh={seed: 7}",
                   "objective.metric=val_fresh_loss")
    assert result.objective == result.metrics["val_fresh_loss"] != result.metrics["loss"]


@pytest.mark.slow
def test_optuna_sweep_minimizes_a_sets_loss(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = run_cli(
        "-m", "sweep=optuna", f"hydra.sweep.dir={sweep_dir}", "hydra.sweeper.n_trials=2", "epochs=2", "logger=none",
        "+validation_sets.fresh={seed: 7}", "objective.metric=val_fresh_loss", cwd=tmp_path, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    summaries = [json.loads(path.read_text()) for path in sweep_dir.glob("*/summary.json")]
    assert len(summaries) == 2 and all(s["objective"] == s["metrics"]["val_fresh_loss"] for s in summaries)
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert results["best_value"] == pytest.approx(min(s["objective"] for s in summaries))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_trackers_and_the_runs_records_get_the_sets_values(tmp_path, monkeypatch, strategy):
    from helpers.runs import run_in
    from helpers.wandb_records import offline_runs, read_offline_run
    from mlflow import MlflowClient

    monkeypatch.chdir(tmp_path)  # MLflow puts a sqlite store's artifacts under ./mlruns
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    store = tmp_path / "mlflow.db"
    result = run_in(
        tmp_path / "run", f"strategy={strategy}", "data.num_examples=64", "data.batch_size=16", "epochs=2", "verbose=0",
        "logger=[mlflow,wandb]", f"logger.mlflow.tracking_uri=sqlite:///{store}", f"logger.wandb.dir={tmp_path / 'wandb'}",
        "+validation_sets.fresh={seed: 7}",
    )
    client = MlflowClient(f"sqlite:///{store}")
    run_id = (tmp_path / "run" / "mlflow_run_id").read_text().strip()
    history = sorted(client.get_metric_history(run_id, "val_fresh_loss"), key=lambda metric: metric.step)
    assert [metric.step for metric in history] == [4, 8]
    assert history[-1].value == pytest.approx(result.metrics["val_fresh_loss"], rel=1e-6)
    (folder,) = offline_runs(tmp_path / "wandb")
    epochs = [record for record in read_offline_run(folder).history if "epoch" in record]
    assert [record["val_fresh_loss"] for record in epochs] == pytest.approx([metric.value for metric in history], rel=1e-6)
    assert RunDirectory(tmp_path / "run").plot("loss").is_file()


def test_the_loss_plot_draws_each_sets_loss_and_the_metrics_plot_its_metrics():
    from framework.reports.run_report import plotted_curves

    names = ["loss", "mae", "val_loss", "val_mae", "val_fresh_loss", "val_fresh_mae", "learning_rate", "variables/W"]
    assert plotted_curves(names) == (["loss", "val_loss", "val_fresh_loss"], ["mae", "val_mae", "val_fresh_mae"])


def test_a_run_records_a_sets_file_and_a_resume_refuses_it_changed(tmp_path):
    from helpers.runs import run_in

    from framework.errors import ResumeError

    shifted = tmp_path / "shifted.csv"
    _shifted_csv(tmp_path)
    overrides = ("data=csv", f"data.path={regression_csv(tmp_path)}", "data.target=y", "logger=none", "plots=false", "verbose=0",
                 f"+validation_sets.shifted={{path: {shifted}}}")
    first = run_in(tmp_path / "run", *overrides, "epochs=2")
    assert [entry["path"] for entry in first.data] == [str((tmp_path / "regression.csv").resolve()), str(shifted.resolve())]
    shifted.write_text(shifted.read_text() + "0.0,0.0,1.0\n")
    with pytest.raises(ResumeError, match=rf"the data changed since the run read it(.|\n)*  {shifted.resolve()}: bytes \d+ -> \d+"):
        run_in(tmp_path / "run", *overrides, "epochs=3", f"resume={tmp_path / 'run'}")
    resumed = run_in(tmp_path / "run", *overrides, "epochs=3", f"resume={tmp_path / 'run'}", "allow_changed_data=true")
    assert resumed.epochs == 3 and "val_shifted_loss" in resumed.metrics


def test_a_set_read_a_block_at_a_time_gives_the_values_of_the_same_file_held(tmp_path, train):
    shifted = _shifted_csv(tmp_path)
    result = train("data=csv", f"data.path={regression_csv(tmp_path)}", "data.target=y", "epochs=2", "verbose=0", "logger=none",
                   "plots=false", f"+validation_sets.held={{path: {shifted}}}", f"+validation_sets.streamed={{path: {shifted}, stream: true}}")
    assert result.metrics["val_streamed_loss"] == pytest.approx(result.metrics["val_held_loss"], rel=1e-5)
