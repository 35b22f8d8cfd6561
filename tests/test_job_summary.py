"""The console around jobs: which job of how many, and where the results went."""

import logging
import re

import pytest
from helpers.chatter import C_CHATTER, chattering
from helpers.runs import run_cli
from omegaconf import read_write

from framework.config import compose
from framework.reports.job_summary import JobSummary


def _hydra_config(*sweep_overrides):
    """The config a multirun starts with: `compose` cannot expand sweeps, so
    the sweep's overrides are set as Hydra records them."""
    cfg = compose(with_hydra=True)
    with read_write(cfg):
        cfg.hydra.overrides.task = list(sweep_overrides)
    return cfg


@pytest.mark.parametrize(
    "overrides, total",
    [
        (["strategy=tape,fit", "optimizer.learning_rate=0.1,0.2,0.3"], 6),
        (["epochs=2"], 1),
        (["optimizer.learning_rate=interval(0.1,0.2)"], None),  # a search space, not a grid
    ],
)
def test_multirun_counts_the_grid_of_its_overrides(overrides, total, caplog):
    summary = JobSummary()
    with caplog.at_level(logging.INFO, logger="framework"):
        summary.on_multirun_start(_hydra_config(*overrides))
    assert summary.total_jobs == total
    assert (f"Launching {total} jobs" if total else "Launching a sweep") in caplog.text


def test_a_known_total_is_not_recounted():
    summary = JobSummary(total_jobs=20)
    summary.on_multirun_start(_hydra_config("strategy=tape,fit"))
    assert summary.total_jobs == 20


@pytest.mark.slow
def test_single_run_ends_with_metrics_run_directory_and_tensorboard_command(tmp_path):
    out = run_cli("epochs=2", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    tail = out.stdout.strip().splitlines()[-3:]
    assert re.fullmatch(r"Finished \(tape strategy\): loss=[0-9.]+, W=[0-9.]+, b=[0-9.]+", tail[0]), tail[0]
    assert tail[1] == f"  run directory: {tmp_path / 'run'}"
    assert tail[2] == f"  view it:       tensorboard --logdir {tmp_path / 'run'}"
    assert "Job 1" not in out.stdout  # a single run is not announced as a job


@pytest.mark.slow
def test_the_default_run_prints_the_tutorial_lines_and_the_summary_only(tmp_path):
    # On any CPU: this TensorFlow writes a start-up line from C as it loads (tests/helpers/chatter_site).
    out = run_cli(f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, env=chattering())
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line[:9] for line in lines[:10]] == [f"Epoch {epoch:2d}:" for epoch in range(10)]
    assert lines[0] == "Epoch  0: W=5.00 b=0.00, loss=8.28051" and lines[9] == "Epoch  9: W=3.34 b=1.68, loss=1.23289"
    assert lines[10:] == [
        "Finished (tape strategy): loss=1.2329, W=3.273, b=1.741",  # the weights after the last update
        f"  run directory: {tmp_path / 'run'}",
        f"  view it:       tensorboard --logdir {tmp_path / 'run'}",
    ]
    assert out.stderr == ""  # no TensorFlow/absl start-up lines, no warnings
    log = (tmp_path / "run" / "train.log").read_text()
    assert "GPU available: no" in log and "Plots: " in log and C_CHATTER in log  # kept for the record


@pytest.mark.slow
def test_a_failed_run_prints_its_error_alone(tmp_path):
    out = run_cli("+experiment=seed_linear", "optimizer.learning_rate=1e6", "verbose=0", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 3
    assert out.stderr.startswith("Error: The training loss became inf") and out.stderr.count("\n") == 1, out.stderr
    assert out.stdout == ""


@pytest.mark.slow
def test_a_run_without_events_offers_no_tensorboard_command_and_still_draws_its_plots(tmp_path):
    out = run_cli("+experiment=seed_linear", "logger=none", "epochs=2", "verbose=0", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "tensorboard --logdir" not in out.stdout
    assert out.stdout.splitlines()[-1] == "  (no TensorBoard events: the run's logger writes none)"
    # The plots come from the run's own records, whatever its loggers.
    assert {path.name for path in (tmp_path / "run").glob("*.png")} == {"loss.png", "variables.png", "predictions.png"}


def test_verbose_0_prints_the_summary_alone_and_libraries_notices_go_to_the_run_log(tmp_path):
    """MLflow's database set-up and TensorFlow's SavedModel assets line: train.log only."""
    out = run_cli(
        "+experiment=seed_linear", "logger=mlflow", "export.saved_model=true", "epochs=2", "verbose=0",
        f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout.splitlines() == [
        "Finished (tape strategy): loss=5.9202, W=4.366, b=0.6764",
        f"  run directory: {tmp_path / 'run'}",
        "  (no TensorBoard events: the run's logger writes none)",  # and so no tensorboard command
    ]
    log = (tmp_path / "run" / "train.log").read_text()
    for notice in ("Creating initial MLflow database tables", "Assets written to: "):
        assert notice in log


@pytest.mark.slow
def test_a_failed_multirun_job_gives_no_summary_warning(tmp_path):
    out = run_cli("-m", "+experiment=seed_linear", "optimizer.learning_rate=1e6,0.1", "epochs=4", "verbose=0", "plots=false",
                  f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert out.returncode == 1
    assert "UserWarning" not in out.stderr and "JobSummary" not in out.stderr, out.stderr
    assert out.stdout.count("Finished (tape strategy)") == 1
