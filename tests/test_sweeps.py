"""Sweep presets: they compose, and a tiny real Optuna search runs its trials
in parallel through the joblib launcher, minimizing what each run returns."""

import json

import pytest
import yaml
from helpers.chatter import C_CHATTER, chattering
from helpers.runs import run_cli

from framework.config import compose


def _compose_with_hydra(*overrides):
    return compose(overrides, with_hydra=True)


def test_optuna_preset_searches_learning_rate_and_strategy():
    cfg = _compose_with_hydra("sweep=optuna")
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("OptunaStudySweeper") and sweeper.direction == "minimize"
    assert set(sweeper.params) == {"optimizer.learning_rate", "strategy"}
    assert cfg.hydra.callbacks.job_summary.total_jobs == sweeper.n_trials


def test_parallel_preset_uses_the_joblib_launcher():
    cfg = _compose_with_hydra("sweep=parallel")
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher") and cfg.hydra.launcher.n_jobs == 2


def test_presets_combine_and_leave_the_run_config_alone(compose_config):
    cfg = _compose_with_hydra("sweep=[optuna,parallel]")
    assert cfg.hydra.sweeper._target_.endswith("OptunaStudySweeper") and cfg.hydra.launcher._target_.endswith("JoblibLauncher")
    assert compose_config("sweep=[optuna,parallel]") == compose_config()


@pytest.mark.slow
def test_optuna_sweep_runs_parallel_trials_and_minimizes_the_run_objective(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = run_cli(
        "-m", "sweep=[optuna,parallel]", f"hydra.sweep.dir={sweep_dir}",
        "hydra.sweeper.n_trials=2", "hydra.sweeper.n_jobs=2", "epochs=2", "logger=none",
        cwd=tmp_path, timeout=300, env=chattering(),  # each job's TensorFlow writes a line from C as it loads
    )
    assert out.returncode == 0, out.stderr
    assert "Job 1 of 2" in out.stdout and "Job 2 of 2" in out.stdout
    # Optuna's study notice (in colour codes), joblib's settings and C's lines stay off the console.
    assert out.stderr == "" and "\x1b[" not in out.stdout and C_CHATTER not in out.stdout, out.stderr
    assert "A new study created" not in out.stdout and "Joblib.Parallel" not in out.stdout, out.stdout
    objectives = {}
    for summary_path in sweep_dir.glob("*/summary.json"):
        summary = json.loads(summary_path.read_text())
        overrides = yaml.safe_load((summary_path.parent / ".hydra" / "overrides.yaml").read_text())
        objectives[summary["objective"]] = overrides
    assert len(objectives) == 2
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert results["best_value"] == pytest.approx(min(objectives))
    best = objectives[min(objectives)]
    assert f"optimizer.learning_rate={results['best_params']['optimizer.learning_rate']}" in best
    assert f"strategy={results['best_params']['strategy']}" in best


def test_optuna_direction_follows_the_objective_mode():
    assert _compose_with_hydra("sweep=optuna", "objective.mode=max").hydra.sweeper.direction == "maximize"


@pytest.mark.slow
def test_optuna_sweep_maximizes_a_metric_objective(tmp_path):
    sweep_dir = tmp_path / "sweep"
    out = run_cli(
        "-m", "sweep=optuna", f"hydra.sweep.dir={sweep_dir}", "hydra.sweeper.n_trials=2", "epochs=2", "logger=none",
        "metrics=[r2_score]", "objective.metric=r2_score", "objective.mode=max", cwd=tmp_path, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    objectives = [json.loads(path.read_text()) for path in sweep_dir.glob("*/summary.json")]
    assert len(objectives) == 2 and all(s["objective"] == s["metrics"]["r2_score"] for s in objectives)
    assert len({s["objective"] for s in objectives}) == 2
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert results["best_value"] == pytest.approx(max(s["objective"] for s in objectives))


def test_search_space_entries_become_the_sweep_overrides_optuna_reads():
    from framework.config.sweep_params import search_space_as_overrides

    assert search_space_as_overrides(
        ["-m", "hydra.sweeper.params.optimizer.learning_rate=tag(log, interval(0.0001, 0.1))", "hydra.sweeper.n_trials=5", "epochs=2"]
    ) == ["-m", "optimizer.learning_rate=tag(log, interval(0.0001, 0.1))", "hydra.sweeper.n_trials=5", "epochs=2"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "search_space, low, high",
    [
        ("hydra.sweeper.params.optimizer.learning_rate=tag(log, interval(0.0001, 0.1))", 0.0001, 0.1),  # the README's
        ("hydra.sweeper.params.optimizer.learning_rate=interval(0.01,0.2)", 0.01, 0.2),  # configs/sweep/optuna.yaml's hint
    ],
)
def test_readme_search_space_override_narrows_the_optuna_search(tmp_path, search_space, low, high):
    sweep_dir = tmp_path / "sweep"
    out = run_cli(
        "-m", "sweep=optuna", "hydra.sweeper.n_trials=3", "data=sine", search_space,
        f"hydra.sweep.dir={sweep_dir}", "epochs=1", "logger=none", "plots=false", "verbose=0",
        cwd=tmp_path, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rates = [
        float(override.split("=")[1])
        for path in sweep_dir.glob("*/.hydra/overrides.yaml")
        for override in yaml.safe_load(path.read_text()) if override.startswith("optimizer.learning_rate=")
    ]
    assert len(rates) == 3 and all(low <= rate <= high for rate in rates), rates
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())["best_params"]
    assert low <= best["optimizer.learning_rate"] <= high and best["strategy"] in ("tape", "fit")
