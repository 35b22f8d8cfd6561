"""Optuna sweeps that prune and resume, with real Optuna studies in SQLite files:
a job reports its objective to its trial and stops where the pruner says (the same
epoch under both strategies), the sweeper tells the study PRUNED, a rerun continues
the study, a trial killed with its sweep is re-run, and joblib jobs share one study."""

import json
import os
import socket
import subprocess
import sys

import optuna
import pytest
import yaml
from helpers.runs import run_cli

from framework.config import compose
from framework.run import run
from framework.sweeps import SweepJob, TrialRef
from framework.sweeps.job import OWNER_ATTR

TINY = ("epochs=6", "logger=none", "plots=false", "verbose=0")


def _study_with_good_trials(storage: str, count: int = 3) -> optuna.Study:
    """A study whose `count` finished trials reported a loss of 0.0 after every epoch."""
    study = optuna.create_study(study_name="lr", storage=storage, direction="minimize")
    for _ in range(count):
        trial = study.ask()
        for step in range(1, 7):
            trial.report(0.0, step)
        study.tell(trial, values=[0.0])
    return study


def _job(storage: str, study: optuna.Study) -> SweepJob:
    return SweepJob("multirun/x", 0, TrialRef(storage, "lr", study.ask().number))


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_trial_behind_the_median_stops_where_its_pruner_says(tmp_path, strategy):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = _study_with_good_trials(storage)
    job = _job(storage, study)
    cfg = compose([*TINY, "pruning=median", "pruning.n_startup_trials=2", "pruning.n_warmup_steps=2", f"strategy={strategy}"])
    result = run(cfg, tmp_path / "run", sweep=job)
    # n_warmup_steps=2: the report after 2 epochs (0-based epoch 1) is the first that can prune.
    assert result.trial == {"study": "lr", "number": 3, "state": "PRUNED", "pruned_at_epoch": 1}
    assert result.epochs == 2 and json.loads((tmp_path / "run" / "summary.json").read_text())["trial"]["state"] == "PRUNED"
    trial = _study_trials(storage, "lr")[3]  # read anew: a study caches the trials it asked for
    assert sorted(trial.intermediate_values) == [1, 2]
    assert trial.intermediate_values[2] == pytest.approx(result.objective)
    assert trial.state == optuna.trial.TrialState.RUNNING  # the sweeper tells the study how it ended


def test_a_trial_reports_at_its_cadence_and_runs_to_its_end_when_not_behind(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="lr", storage=storage)  # no other trial: nothing to compare with
    job = _job(storage, study)
    result = run(compose([*TINY, "pruning=median", "pruning.report_every_n_epochs=4"]), tmp_path / "run", sweep=job)
    assert result.trial["state"] == "COMPLETE" and result.epochs == 6
    assert sorted(_study_trials(storage, "lr")[0].intermediate_values) == [4, 6]  # every 4th epoch, and the last


def test_pruning_needs_the_trial_of_a_sweep(tmp_path):
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=r"pruning=median stops Optuna trials .* this is a single run \(no -m\)"):
        run(compose([*TINY, "pruning=median"]), tmp_path / "run")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_trial_killed_with_its_sweep_is_marked_failed_and_its_parameters_run_again(tmp_path):
    from framework.sweeps.optuna_sweeper import _rerun_killed_trials

    study = optuna.create_study(study_name="lr", storage=f"sqlite:///{tmp_path / 'study.db'}")
    host = socket.gethostname()
    killed, alive = study.ask(), study.ask()
    killed.suggest_float("optimizer.learning_rate", 0.001, 0.5, log=True)
    killed.set_system_attr(OWNER_ATTR, f"{host}:{_dead_pid()}")
    alive.set_system_attr(OWNER_ATTR, f"{host}:{os.getpid()}")  # a sweep still running: left alone
    _rerun_killed_trials(study)
    assert [trial.state.name for trial in study.trials] == ["FAIL", "RUNNING", "WAITING"]
    rerun = study.ask()  # the sweeper's next trial: the killed one's parameters
    assert rerun.number == 2
    assert rerun.suggest_float("optimizer.learning_rate", 0.001, 0.5, log=True) == killed.params["optimizer.learning_rate"]


def _study_trials(storage: str, name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=name, storage=storage).trials


@pytest.mark.slow
def test_a_sweep_prunes_bad_trials_and_a_rerun_continues_its_study(tmp_path):
    """The README's worked example: 8 trials, then 4 more into the same study."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    sweep = ("-m", "sweep=optuna", "pruning=median", f"hydra.sweeper.storage={storage}", "hydra.sweeper.study_name=lr",
             "epochs=10", "logger=none", "plots=false", "verbose=0")
    first = run_cli(*sweep, "hydra.sweeper.n_trials=8", f"hydra.sweep.dir={tmp_path / 'first'}", cwd=tmp_path, timeout=600)
    assert first.returncode == 0, first.stderr
    trials = _study_trials(storage, "lr")
    pruned = [trial.number for trial in trials if trial.state.name == "PRUNED"]
    assert len(trials) == 8 and pruned and all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    summaries = {json.loads(p.read_text())["trial"]["number"]: json.loads(p.read_text()) for p in (tmp_path / "first").glob("*/summary.json")}
    assert sorted(n for n, s in summaries.items() if s["trial"]["state"] == "PRUNED") == pruned
    assert all(summaries[n]["epochs"] < 10 for n in pruned)
    assert f"Optuna pruned {len(pruned)} trial(s)" in first.stderr + first.stdout
    assert "failed" not in first.stderr.lower()
    second = run_cli(*sweep, "hydra.sweeper.n_trials=4", f"hydra.sweep.dir={tmp_path / 'second'}", cwd=tmp_path, timeout=600)
    assert second.returncode == 0, second.stderr
    trials = _study_trials(storage, "lr")
    assert len(trials) == 12 and all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    best = yaml.safe_load((tmp_path / "second" / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(min(t.value for t in trials if t.state.name == "COMPLETE"))


@pytest.mark.slow
def test_parallel_jobs_share_one_study_in_the_sweep_directory(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = run_cli("-m", "sweep=[optuna,parallel]", "pruning=median", "pruning.n_startup_trials=1", "hydra.sweeper.n_trials=4",
                  "hydra.sweeper.n_jobs=2", f"hydra.sweep.dir={sweep_dir}", *TINY, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr
    trials = _study_trials(f"sqlite:///{sweep_dir / 'optuna.db'}", "train")
    assert len(trials) == 4 and all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    states = {json.loads(p.read_text())["trial"]["number"]: json.loads(p.read_text())["trial"]["state"] for p in sweep_dir.glob("*/summary.json")}
    assert states == {t.number: t.state.name for t in trials}
