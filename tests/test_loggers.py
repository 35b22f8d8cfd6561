"""Loggers as a fan-out: TensorBoard, MLflow (read back with MlflowClient from real
file and sqlite stores) and CSV (read with pandas) record the same values under
both strategies, across a resume and when a run fails."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.events import read_scalars
from helpers.runs import run_in
from mlflow import MlflowClient

from framework.errors import ConfigError, ResumeError

TUTORIAL = ("+experiment=seed_linear", "verbose=0")
ALL_LOGGERS = "logger=[tensorboard,mlflow,csv]"
# Minibatches and validation: several steps per epoch and a val_loss column.
MINIBATCHES = ("data.num_examples=64", "data.batch_size=16", "data.val_fraction=0.25", "epochs=6", "verbose=0")


def _store(path: Path) -> str:
    """The override recording into a sqlite store at `path` (MLflow's recommended local store)."""
    return f"logger.mlflow.tracking_uri=sqlite:///{path}"


def _client(path: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{path}")


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """MLflow puts a sqlite store's artifacts under ./mlruns of the working directory."""
    monkeypatch.chdir(tmp_path)


def _mlflow_run(client: MlflowClient, run_dir):
    return client.get_run(Path(run_dir, "mlflow_run_id").read_text().strip())


def _history(client: MlflowClient, run_id: str, name: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, name), key=lambda m: m.step)]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The minibatch run under each strategy with every logger, into one file store."""
    root = tmp_path_factory.mktemp("loggers")
    store = root / "mlflow.db"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(root)
        results = {
            strategy: run_in(root / strategy, *MINIBATCHES, ALL_LOGGERS, _store(store), f"strategy={strategy}")
            for strategy in ("tape", "fit")
        }
    return results, _client(store)


def test_csv_has_one_keras_format_row_per_epoch_equal_under_both_strategies(both):
    results, _ = both
    tables = {strategy: pd.read_csv(Path(result.run_dir, "metrics.csv")) for strategy, result in results.items()}
    assert list(tables["tape"].columns) == ["epoch", "learning_rate", "loss", "val_loss"]  # Keras's CSVLogger order
    assert tables["tape"]["epoch"].tolist() == list(range(6))
    pd.testing.assert_frame_equal(tables["tape"], tables["fit"], atol=1e-5, rtol=0)
    assert tables["tape"]["loss"].iloc[-1] == pytest.approx(results["tape"].metrics["loss"], abs=1e-6)
    assert tables["tape"]["val_loss"].iloc[-1] == pytest.approx(results["tape"].metrics["val_loss"], abs=1e-6)


def test_mlflow_records_params_metrics_and_artifacts_equal_under_both_strategies(both):
    results, client = both
    runs = {strategy: _mlflow_run(client, result.run_dir) for strategy, result in results.items()}
    for strategy, run in runs.items():
        assert run.info.status == "FINISHED"
        assert run.data.params["optimizer.learning_rate"] == "0.1"
        assert run.data.params["strategy.name"] == strategy
        assert run.data.params["data.batch_size"] == "16"
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"summary.json", "model.keras", "loss.png"} <= artifacts
        throughput = _history(client, run.info.run_id, "examples_per_second")
        assert throughput[-1][0] == 18 and {step for step, _ in throughput} <= {3 * epoch for epoch in range(1, 7)}
        assert all(value > 0 for _, value in throughput)
    assert runs["tape"].info.experiment_id == runs["fit"].info.experiment_id
    for name in ("loss", "val_loss", "learning_rate", "epoch"):
        tape, fit = (_history(client, run.info.run_id, name) for run in runs.values())
        assert [step for step, _ in tape] == [3 * epoch for epoch in range(1, 7)], name  # the global step
        assert [step for step, _ in fit] == [step for step, _ in tape], name
        np.testing.assert_allclose([v for _, v in fit], [v for _, v in tape], atol=1e-5, err_msg=name)


def test_every_logger_gets_the_same_values(both):
    results, client = both
    result = results["tape"]
    scalars = read_scalars(f"{result.run_dir}/tensorboard")
    rows = pd.read_csv(Path(result.run_dir, "metrics.csv"))
    run_id = _mlflow_run(client, result.run_dir).info.run_id
    for name in ("loss", "val_loss", "learning_rate"):
        board = scalars[f"epoch/{name}"]
        history = _history(client, run_id, name)
        assert [step for step, _ in history] == [step for step, _ in board], name
        np.testing.assert_allclose([v for _, v in history], [v for _, v in board], atol=1e-7, err_msg=name)
        np.testing.assert_allclose(rows[name], [value for _, value in board], atol=1e-7, err_msg=name)


def test_mlflow_honours_the_environment_and_an_explicit_uri_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'env.db'}")
    from_env = run_in(tmp_path / "env", *TUTORIAL, "logger=[tensorboard,mlflow]")
    client = MlflowClient(f"sqlite:///{tmp_path / 'env.db'}")
    run = _mlflow_run(client, from_env.run_dir)
    assert [step for step, _ in _history(client, run.info.run_id, "loss")] == list(range(1, 11))
    assert run.data.params["optimizer.learning_rate"] == "0.1"
    assert read_scalars(f"{from_env.run_dir}/tensorboard")["epoch/loss"][-1][1] == pytest.approx(from_env.metrics["loss"])

    # A directory: MLflow's file store, which MLflow 3 serves only when asked to.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    explicit = run_in(tmp_path / "explicit", *TUTORIAL, "logger=mlflow", f"logger.mlflow.tracking_uri={tmp_path / 'mine'}")
    directory_client = MlflowClient(str(tmp_path / "mine"))
    run = _mlflow_run(directory_client, explicit.run_dir)
    assert run.info.status == "FINISHED"
    assert _history(directory_client, run.info.run_id, "loss")[-1][1] == pytest.approx(explicit.metrics["loss"])
    assert len(client.search_runs([client.get_experiment_by_name("framework").experiment_id])) == 1


def _killed_after_epoch_4(run_dir: Path, *overrides: str) -> None:
    """A finished run cut back to its epoch-4 checkpoint, as if killed after writing
    the records of epochs 5 and 6 but before their checkpoint."""
    result = run_in(run_dir, *overrides)
    for path in Path(result.run_dir, "checkpoints").glob("ckpt-6.*"):
        path.unlink()
    Path(result.run_dir, "summary.json").unlink()


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_resume_continues_the_same_mlflow_run_and_csv_rows_once(tmp_path, strategy):
    run_dir, store = tmp_path / "run", tmp_path / "mlflow.db"
    overrides = (*MINIBATCHES, "checkpoint.every_n_epochs=2", "logger=[mlflow,csv]", _store(store), f"strategy={strategy}")
    _killed_after_epoch_4(run_dir, *overrides)
    first_id = (run_dir / "mlflow_run_id").read_text()
    run_in(run_dir, *overrides, f"resume={run_dir}")
    client = _client(store)
    run = _mlflow_run(client, run_dir)
    assert (run_dir / "mlflow_run_id").read_text() == first_id
    assert run.info.status == "FINISHED"
    assert len(client.search_runs([run.info.experiment_id])) == 1
    rows = pd.read_csv(run_dir / "metrics.csv")
    assert rows["epoch"].tolist() == list(range(6))
    whole = pd.read_csv(Path(run_in(tmp_path / "whole", *overrides).run_dir, "metrics.csv"))
    pd.testing.assert_frame_equal(rows, whole, atol=1e-5, rtol=0)
    # MLflow keeps every value it was sent: the re-run epochs 5 and 6 are there twice, with equal values.
    assert [step for step, _ in _history(client, run.info.run_id, "loss")] == [3, 6, 9, 12, 15, 15, 18, 18]


def test_a_failed_run_ends_its_mlflow_run_failed(tmp_path):
    from framework.errors import NonFiniteLossError

    with pytest.raises(NonFiniteLossError):
        run_in(tmp_path / "run", *TUTORIAL, "optimizer.learning_rate=1e6", "logger=mlflow", _store(tmp_path / "mlflow.db"))
    run = _mlflow_run(_client(tmp_path / "mlflow.db"), tmp_path / "run")
    assert run.info.status == "FAILED"


def test_a_store_mlflow_cannot_use_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match=r"logger.mlflow.tracking_uri=nosuch://x: MLflow cannot record at nosuch://x: .*sqlite:///<file>"):
        run_in(tmp_path / "run", *TUTORIAL, "logger=mlflow", "logger.mlflow.tracking_uri=nosuch://x")


def test_resuming_into_another_store_is_refused(tmp_path):
    run_dir = tmp_path / "run"
    overrides = (*TUTORIAL, "checkpoint.every_n_epochs=2", "logger=mlflow")
    _killed_after_epoch_4(run_dir, *overrides, "epochs=6", _store(tmp_path / "first.db"))
    with pytest.raises(ResumeError, match=r"mlflow_run_id names the MLflow run \w+, which the tracking store .*other.db does not hold"):
        run_in(run_dir, *overrides, "epochs=6", _store(tmp_path / "other.db"), f"resume={run_dir}")


def test_summary_is_unchanged_by_the_loggers(both, tmp_path):
    results, _ = both
    plain = run_in(tmp_path / "plain", *MINIBATCHES, "logger=none", "strategy=tape")
    assert json.loads(Path(results["tape"].run_dir, "summary.json").read_text())["variables"] == pytest.approx(plain.variables)
