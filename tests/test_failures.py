"""Runs that go wrong: a diverging loss, early stopping, a failing multirun job, and
TensorBoard losing its directory mid-run."""

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers.runs import run_cli

from framework.errors import NonFiniteLossError
from framework.run_directory import RunDirectory

DIVERGING = ("+experiment=seed_linear", "optimizer.learning_rate=1e6", "checkpoint.every_n_epochs=1", "verbose=0")


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_non_finite_loss_stops_keeps_the_last_finite_checkpoint_and_marks_the_run_failed(compose_config, tmp_path, strategy):
    from framework.checkpoints.run_checkpoint import read_checkpoint
    from framework.run import run

    with pytest.raises(NonFiniteLossError, match=r"The training loss became inf at step 4 \(epoch 3\); .*lower optimizer.learning_rate \(now 1e\+06\)"):
        run(compose_config(*DIVERGING, f"strategy={strategy}"), tmp_path)
    assert (tmp_path / "FAILED").read_text().startswith("NonFiniteLossError: The training loss became inf")
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / "model.keras").exists()
    # Epochs 0-2 were finite; nothing was saved after the overflow.
    assert sorted(path.name for path in (tmp_path / "checkpoints").glob("ckpt-*.npz"))[-1] == "ckpt-3.npz"
    weights = read_checkpoint(tmp_path / "checkpoints" / "ckpt-3.npz")["model"].values()
    assert weights and all(np.isfinite(w).all() for w in weights)


@pytest.mark.slow
def test_non_finite_loss_exits_with_status_3_and_the_message(tmp_path):
    out = run_cli(*DIVERGING, f"hydra.run.dir={tmp_path}")
    assert out.returncode == 3
    assert "Error: The training loss became inf at step 4 (epoch 3)" in out.stderr and "Traceback" not in out.stderr


def test_early_stopping_stops_both_strategies_at_the_same_epoch_with_the_same_weights(train):
    overrides = ("+experiment=seed_linear", "epochs=50", "early_stopping.enabled=true", "early_stopping.min_delta=0.05",
                 "early_stopping.patience=2", "verbose=0", "logger=none")
    tape, fit = train(*overrides, "strategy=tape"), train(*overrides, "strategy=fit")
    assert 5 < tape.epochs < 50 and tape.epochs == fit.epochs and tape.global_step == fit.global_step
    for name, value in tape.variables.items():
        assert fit.variables[name] == pytest.approx(value, abs=1e-5)
    # The run ends with a checkpoint of the state it stopped in.
    assert max(RunDirectory(tape.run_dir).checkpoint_epochs()) == tape.epochs


def test_early_stopping_on_val_loss_needs_validation_data(train):
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=r"early_stopping.monitor=val_loss, but the data holds no validation examples. Set data.val_fraction"):
        train("+experiment=seed_linear", "early_stopping.enabled=true", "early_stopping.monitor=val_loss")


@pytest.mark.slow
def test_multirun_runs_every_job_lists_the_failed_ones_and_exits_non_zero(tmp_path):
    out = run_cli("-m", "+experiment=seed_linear", "epochs=2", "verbose=0", "optimizer.learning_rate=0.1,-1,0.05",
                  f"hydra.sweep.dir={tmp_path}")
    assert out.returncode == 1, out.stderr
    jobs = sorted(p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert [(job / "summary.json").exists() for job in jobs] == [True, False, True]
    assert (jobs[1] / "FAILED").exists()
    assert "Error: 1 of 3 multirun jobs failed" in out.stderr
    assert "job 1: +experiment=seed_linear epochs=2 verbose=0 optimizer.learning_rate=-1" in out.stderr
    assert "optimizer.learning_rate=-1 is invalid: input should be greater than 0" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_tensorboard_directory_removed_mid_run_is_reported_once_and_training_goes_on(tmp_path):
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "framework.train", "data=sine", "data.num_examples=4000", "data.batch_size=2",
         "model=sequential", "epochs=8", "checkpoint.every_n_epochs=2", "verbose=0", f"hydra.run.dir={run_dir}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not (run_dir / "checkpoints" / "ckpt-2.npz").exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    shutil.rmtree(run_dir / "tensorboard")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert stdout.count("TensorBoard events cannot be written any more") == 1
    assert f"{run_dir / 'tensorboard'} was removed. Training goes on and checkpoints are still saved" in stdout
    assert max(RunDirectory(run_dir).checkpoint_epochs()) == 8
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == 8


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_diverging_last_update_is_caught_and_nothing_diverged_is_saved(compose_config, tmp_path, strategy):
    from framework.errors import NonFiniteWeightsError
    from framework.run import run

    # One full-batch step: its loss is finite, the update it makes is not.
    overrides = ("+experiment=seed_linear", "epochs=1", "optimizer.learning_rate=1e38", "verbose=0", f"strategy={strategy}")
    with pytest.raises(NonFiniteWeightsError, match=r"The model's variable linear/\w+ became -?inf at step 1 \(after epoch 1\); .*lower optimizer.learning_rate"):
        run(compose_config(*overrides), tmp_path)
    assert (tmp_path / "FAILED").read_text().startswith("NonFiniteWeightsError: ")
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / "model.keras").exists()
    assert not list((tmp_path / "checkpoints").glob("ckpt-*"))


def test_summary_json_is_valid_json_even_for_non_finite_values(tmp_path):
    from framework.result import RunResult

    result = RunResult(run_dir=str(tmp_path), strategy="tape", epochs=1, global_step=1,
                       metrics={"loss": float("nan"), "val_loss": float("-inf")}, variables={"w": [1.0, float("inf")]})
    result.write(tmp_path / "summary.json")
    written = json.loads((tmp_path / "summary.json").read_text(), parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert written["metrics"] == {"loss": None, "val_loss": None} and written["variables"] == {"w": [1.0, None]}


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_early_stopping_state_survives_a_resume(compose_config, tmp_path, strategy, caplog):
    from framework.run import run

    overrides = ("+experiment=seed_linear", "epochs=50", "early_stopping.enabled=true", "early_stopping.min_delta=0.05",
                 "early_stopping.patience=3", "checkpoint.every_n_epochs=1", "checkpoint.keep=50", "verbose=0",
                 "logger=none", f"strategy={strategy}")
    with caplog.at_level("INFO", logger="framework"):
        whole = run(compose_config(*overrides), tmp_path / "whole")
    assert f"Epoch {whole.epochs - 1:2d}: early stop: loss has not improved by more than 0.05 for 3 epochs" in caplog.text
    # Killed two epochs before it stopped, with its patience partly used up.
    run_dir = tmp_path / "killed"
    run(compose_config(*overrides), run_dir)
    for epoch in range(whole.epochs - 1, whole.epochs + 1):
        for path in (run_dir / "checkpoints").glob(f"ckpt-{epoch}.*"):
            path.unlink()
    (run_dir / "summary.json").unlink()
    state = json.loads((run_dir / "checkpoints" / f"ckpt-{whole.epochs - 2}.state.json").read_text())
    assert state["callbacks"]["early_stopping"]["wait"] > 0
    resumed = run(compose_config(*overrides, f"resume={run_dir}"), run_dir)
    assert resumed.epochs == whole.epochs and resumed.global_step == whole.global_step
    for name, value in whole.variables.items():
        assert resumed.variables[name] == pytest.approx(value, abs=1e-5)


@pytest.mark.slow
def test_multirun_lists_a_job_that_failed_before_it_could_mark_its_directory(tmp_path):
    # Both jobs write into one directory: the second finds the first's results there.
    out = run_cli("-m", "+experiment=seed_linear", "epochs=2", "verbose=0", "seed=1,2",
                  f"hydra.sweep.dir={tmp_path}", "hydra.sweep.subdir=shared")
    assert out.returncode == 1, out.stderr
    assert "Error: 1 of 2 multirun jobs failed" in out.stderr
    assert "job 1: +experiment=seed_linear epochs=2 verbose=0 seed=2" in out.stderr
    assert "this directory already holds another run" in out.stderr
    assert "Traceback" not in out.stderr
    assert json.loads((tmp_path / "shared" / "summary.json").read_text())["epochs"] == 2
