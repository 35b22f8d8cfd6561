"""sweep=optuna: Hydra's Optuna sweeper, with a study that persists, prunes and resumes.

Hydra's Optuna sweeper asks the study for trials, launches them as jobs and
tells the study what each returned. This sweeper does the same with its own
search-space parsing, launcher and samplers, and adds:

- a study always in storage: `hydra.sweeper.storage` (e.g. sqlite:///study.db)
  or, when null, `<sweep dir>/optuna.db`; so every job, in any process, can
  reload its trial, and running the same command again with the same storage
  and `hydra.sweeper.study_name` continues the study (its trials kept,
  `n_trials` new ones added);
- each job is handed its trial (`hydra.sweeper.trial`: storage, study, number),
  which it reports its objective to and which prunes it (framework.sweeps.job,
  framework.callbacks.optuna_pruning);
- a job its pruner stopped is told to the study as PRUNED, not COMPLETE or FAIL;
- a trial left RUNNING by a sweep process on this machine that no longer runs
  (killed mid-trial) is marked FAIL when the study is opened again, and its
  parameters are queued to run again first, as a new trial of this sweep.

Hydra instantiates hydra_plugins.framework_sweeper's OptunaStudySweeper
(configs/sweep/optuna.yaml), which builds this; it is imported only in a
sweep=optuna multirun's launching process.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import socket
from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn
from hydra_plugins.hydra_optuna_sweeper._impl import (
    OptunaSweeperImpl,
    create_params_from_overrides,
)
from omegaconf import OmegaConf
from optuna.trial import TrialState

from framework.errors import ConfigError
from framework.result import RunResult
from framework.run_directory import RunDirectory
from framework.sweeps.job import OWNER_ATTR, TrialRef

log = logging.getLogger(__name__)

_STUDY_FILE = "optuna.db"


class StudySweeper(OptunaSweeperImpl):
    """Hydra's Optuna sweeper's logic with its study in storage; built by
    hydra_plugins.framework_sweeper with the keys of hydra.sweeper.*."""

    def sweep(self, arguments: list[str]) -> None:
        distributions, fixed_params = self._search_space(arguments)
        study = self._open_study()
        _rerun_killed_trials(study)
        trials_to_go = self.n_trials
        while trials_to_go > 0:
            batch = min(trials_to_go, self.n_jobs)
            trials = [study.ask() for _ in range(batch)]
            for trial in trials:
                trial.set_system_attr(OWNER_ATTR, _this_process())
            overrides = [
                (*job, TrialRef(self.storage, study.study_name, trial.number).as_override())
                for job, trial in zip(self._configure_trials(trials, distributions, fixed_params), trials)
            ]
            returns = self.launcher.launch(overrides, initial_job_idx=self.job_idx)
            self.job_idx += len(returns)
            failures = [failure for trial, job in zip(trials, returns) if (failure := _tell(study, trial, job))]
            if len(failures) / len(returns) > self.max_failure_rate:
                log.error("%d of %d trials failed, more than max_failure_rate=%s.", len(failures), len(returns), self.max_failure_rate)
                for job in returns:
                    job.return_value  # re-raises the job's error with its traceback
            trials_to_go -= batch
        _save_results(study, Path(self.config.hydra.sweep.dir))

    def _search_space(self, arguments: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The search space (hydra.sweeper.params and the sweep overrides) and the fixed parameters, as Hydra's sweeper reads them."""
        self._process_searchspace_config()
        distributions, fixed_params = create_params_from_overrides([*self._parse_sweeper_params_config(), *arguments])
        distributions = {**(self.search_space_distributions or {}), **distributions}
        if _is_grid_sampler(self.sampler):
            grid = {name: self._to_grid_sampler_choices(distribution) for name, distribution in distributions.items()}
            self.sampler = self.sampler(grid)
            self.n_trials = min(self.n_trials, math.prod(len(choices) for choices in grid.values()))
        return {k: v for k, v in distributions.items() if k not in fixed_params}, fixed_params

    def _open_study(self) -> optuna.Study:
        """The study, created or loaded; raises ConfigError when its storage cannot be opened."""
        if self.storage is None:
            sweep_dir = Path(self.config.hydra.sweep.dir).absolute()
            sweep_dir.mkdir(parents=True, exist_ok=True)
            self.storage = f"sqlite:///{sweep_dir / _STUDY_FILE}"
        try:
            study = optuna.create_study(
                study_name=self.study_name, storage=self.storage, sampler=self.sampler,
                directions=self._get_directions(), load_if_exists=True,
            )
        except Exception as error:  # SQLAlchemy and Optuna raise their own kinds for a bad URL or file
            raise ConfigError(
                f"hydra.sweeper.storage={self.storage}: Optuna cannot open this study storage "
                f"({type(error).__name__}: {_first_line(error)}). Use sqlite:///<file> in a writable "
                f"directory (e.g. hydra.sweeper.storage=sqlite:///study.db) or a database URL Optuna supports, "
                f"or leave it null to keep the study in <sweep dir>/{_STUDY_FILE}."
            ) from None
        if study.get_trials(deepcopy=False):
            # A seeded sampler would propose the first sweep's parameters again; a continued study draws anew.
            study.sampler.reseed_rng()
        finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
        log.info("Study %r in %s: %d finished trial(s) so far; %d more to run.", study.study_name, self.storage, finished, self.n_trials)
        return study


def _tell(study: optuna.Study, trial: optuna.Trial, job: JobReturn) -> Exception | None:
    """Tells the study how the trial's job ended: PRUNED, COMPLETE with its objective, or FAIL
    (returned, for the failure rate). Whether it was pruned, the job's summary.json says."""
    try:
        value = float(job.return_value)  # a failed job re-raises its error here
        if _pruned(RunDirectory(job.hydra_cfg.hydra.runtime.output_dir)):
            study.tell(trial, state=TrialState.PRUNED)  # its value: the last objective it reported
        else:
            study.tell(trial, values=[value])  # a NaN objective (a failed run in a multirun) is refused: FAIL
        return None
    except Exception as error:  # whatever the job or Optuna raised, the trial failed
        study.tell(trial, state=TrialState.FAIL)
        log.warning("Trial %d failed: %s", trial.number, error)
        return error


def _pruned(run_dir: RunDirectory) -> bool:
    if not run_dir.summary.is_file():  # a failed run, or a worker that writes no run
        return False
    trial = RunResult.read(run_dir.summary).trial
    return bool(trial) and trial["state"] == "PRUNED"


def _rerun_killed_trials(study: optuna.Study) -> None:
    """Marks FAIL the RUNNING trials whose sweep process on this machine is gone, and queues their parameters again."""
    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner_host, _, pid = str(trial.system_attrs.get(OWNER_ATTR, "")).rpartition(":")
        if owner_host != host or not pid.isdigit() or _process_exists(int(pid)):
            continue  # another machine's, or a sweep still running: left alone
        study.tell(trial.number, state=TrialState.FAIL)
        study.enqueue_trial(trial.params)
        log.warning("Trial %d was killed mid-run (its sweep process %s is gone): marked FAIL, its parameters run again.", trial.number, pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _save_results(study: optuna.Study, sweep_dir: Path) -> None:
    """<sweep dir>/optimization_results.yaml, as Hydra's Optuna sweeper writes it, from the whole study."""
    try:
        best = study.best_trial
    except ValueError:  # no trial completed: every one was pruned or failed
        log.warning("No trial of study %r completed; there is no best value yet.", study.study_name)
        return
    log.info("Best parameters: %s\nBest value: %s", best.params, best.value)
    OmegaConf.save(OmegaConf.create({"name": "optuna", "best_params": best.params, "best_value": best.value}),
                   sweep_dir / "optimization_results.yaml")


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or ["no message"])[0]


def _is_grid_sampler(sampler: Any) -> bool:
    # The grid sampler's config instantiates a partial: its grid is known only once the search space is parsed.
    return isinstance(sampler, functools.partial) and sampler.func is optuna.samplers.GridSampler
