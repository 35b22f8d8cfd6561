"""Loggers through the real CLI in real processes: a multirun's jobs in one MLflow
experiment; a run killed or stopped by a signal, then resumed, keeps one MLflow
run and one CSV row per epoch."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers.runs import run_cli
from mlflow import MlflowClient

pytestmark = pytest.mark.slow  # each case starts several Python processes

# ~0.2 s per epoch under tape: a signal lands mid-run.
SLOW_EPOCHS = ("data=sine", "data.num_examples=4000", "data.batch_size=2", "model=sequential", "strategy=tape",
               "epochs=8", "checkpoint.every_n_epochs=2", "verbose=0")


def _tracking(tmp_path: Path) -> dict:
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_a_multirun_s_jobs_land_in_one_experiment(tmp_path):
    out = run_cli("-m", "+experiment=seed_linear", "optimizer.learning_rate=0.1,0.05", "logger=[tensorboard,mlflow]",
                  f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path, env=_tracking(tmp_path), timeout=400)
    assert out.returncode == 0, out.stderr
    client = MlflowClient(_tracking(tmp_path)["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("framework")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.data.params["optimizer.learning_rate"] for run in runs) == ["0.05", "0.1"]
    assert {run.info.status for run in runs} == {"FINISHED"}
    # Each MLflow run is named after its job's directory, which names the job's overrides.
    assert sorted(run.info.run_name.split(",")[-1] for run in runs) == ["optimizer.learning_rate=0.05", "optimizer.learning_rate=0.1"]
    for run in runs:
        assert len(client.get_metric_history(run.info.run_id, "loss")) == 10


@pytest.mark.parametrize("stop, status, mlflow_status", [(signal.SIGKILL, -9, "RUNNING"), (signal.SIGTERM, 143, "KILLED")])
def test_stopped_then_resumed_run_keeps_one_mlflow_run_and_one_row_per_epoch(tmp_path, stop, status, mlflow_status):
    run_dir = tmp_path / "run"
    arguments = (*SLOW_EPOCHS, "logger=[mlflow,csv]")
    process = subprocess.Popen(
        [sys.executable, "-m", "framework.train", *arguments, f"hydra.run.dir={run_dir}"],
        cwd=tmp_path, env={**os.environ, **_tracking(tmp_path)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 180
    while not (run_dir / "checkpoints" / "ckpt-4.npz").exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no checkpoint of epoch 4"
        time.sleep(0.02)
    process.send_signal(stop)
    assert process.wait(timeout=120) == status
    client = MlflowClient(_tracking(tmp_path)["MLFLOW_TRACKING_URI"])
    run_id = (run_dir / "mlflow_run_id").read_text().strip()
    assert client.get_run(run_id).info.status == mlflow_status  # SIGKILL leaves no chance to end it

    out = run_cli(f"resume={run_dir}", cwd=tmp_path, env=_tracking(tmp_path), timeout=300)
    assert out.returncode == 0, out.stderr
    assert (run_dir / "mlflow_run_id").read_text().strip() == run_id
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert len(client.search_runs([run.info.experiment_id])) == 1
    rows = pd.read_csv(run_dir / "metrics.csv")
    assert rows["epoch"].tolist() == list(range(8))
    assert max(m.step for m in client.get_metric_history(run_id, "loss")) == 8 * 1600  # 3200 training examples, 2 a step
