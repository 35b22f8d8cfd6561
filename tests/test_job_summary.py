"""The console around jobs: which job of how many, and where the results went."""

import logging

import pytest
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
    assert tail[0].startswith("Finished: loss=")
    assert tail[1] == f"  run directory: {tmp_path / 'run'}"
    assert tail[2] == f"  view it:       tensorboard --logdir {tmp_path / 'run'}"
    assert "Job 1" not in out.stdout  # a single run is not announced as a job
