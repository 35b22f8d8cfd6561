"""A Hydra callback telling the user where a run is and where its results went.

In a multirun it announces each job as "Job 2 of 6"; at the end of every job
it prints the final metrics, the run directory and the exact `tensorboard`
command to view it (the sweep directory in a multirun, so all jobs show side
by side). Configured in configs/train.yaml under `hydra.callbacks`.
"""

from __future__ import annotations

import json
import logging
import shlex
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from framework.run_directory import RunDirectory

log = logging.getLogger("framework")


class JobSummary(Callback):
    """Announces jobs and summarizes each finished one.

    Args:
        total_jobs: Jobs in the sweep when the sweeper knows it up front (an
            Optuna study's n_trials); None counts the grid of `a=1,2 b=x,y`
            overrides the way Hydra's basic sweeper expands it.
    """

    def __init__(self, total_jobs: int | None = None):
        self.total_jobs = total_jobs
        self._sweep_dir: Path | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Runs in the launching process before any job; the launcher hands
        # this object (pickled, for parallel launchers) to every job.
        self._sweep_dir = Path(config.hydra.sweep.dir).absolute()
        if "optuna" in str(config.hydra.sweeper.get("_target_", "")):
            # Imported here: the loggers package loads Keras, which must wait for the run's backend choice.
            from framework.loggers.library_notices import optuna_through_hydra_logging

            optuna_through_hydra_logging()  # before the sweeper creates its study
        if self.total_jobs is None:
            self.total_jobs = _count_grid_jobs(config)
        count = f"{self.total_jobs} jobs" if self.total_jobs is not None else "a sweep"
        log.info("Launching %s into %s", count, self._sweep_dir)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if self._sweep_dir is None:
            return  # a single run: nothing to count
        of_total = f" of {self.total_jobs}" if self.total_jobs is not None else ""
        overrides = " ".join(config.hydra.overrides.task)
        log.info("Job %d%s: %s", config.hydra.job.num + 1, of_total, overrides or "(no overrides)")

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        run_dir = RunDirectory(config.hydra.runtime.output_dir)
        # A failed job (its error is what the user needs to see; in a multirun
        # it returns NaN) and a non-chief worker (it writes no run) leave no summary.
        if job_return.status != JobStatus.COMPLETED or not run_dir.summary.is_file():
            return
        summary = json.loads(run_dir.summary.read_text())
        results = [f"{name}={value:.5g}" for name, value in summary["metrics"].items()]
        results += [f"{path.rpartition('/')[2]}={value:.4g}" for path, value in summary["variables"].items()
                    if isinstance(value, float)]  # scalar models: their variables are the result
        trial = summary.get("trial") or {}
        if trial.get("state") == "PRUNED":
            ended = f"Pruned by Optuna after epoch {trial['pruned_at_epoch'] + 1} (trial {trial['number']}, {summary['strategy']} strategy)"
        else:
            ended = f"Finished ({summary['strategy']} strategy)"
        lines = [f"{ended}: {', '.join(results)}"]
        if config.get("optimizer", {}).get("use_ema"):  # two sets of weights: say which numbers are whose
            lines.append("  (optimizer.use_ema: the saved model and its variables are the weights' moving average; "
                         "loss and the other epoch values are the raw weights' last epoch)")
        lines.append(f"  run directory: {run_dir.path}")
        if any(run_dir.events.glob("*tfevents*")):
            lines.append(f"  view it:       {tensorboard_command(self._sweep_dir or run_dir.path)}")
        else:
            lines.append("  (no TensorBoard events: the run's logger writes none)")
        log.info("\n".join(lines))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        pruned = _pruned_jobs(self._sweep_dir)
        if pruned:
            log.info("Optuna pruned %d trial(s), stopped early and kept as PRUNED in the study: %s",
                     len(pruned), ", ".join(pruned))
        log.info("Sweep finished: %s\n  compare the jobs: %s", self._sweep_dir, tensorboard_command(self._sweep_dir))


def _pruned_jobs(sweep_dir: Path) -> list[str]:
    """'trial N (epoch E)' for each job in `sweep_dir` whose summary.json says its trial was pruned."""
    pruned = []
    for path in sorted(sweep_dir.glob(f"*/{RunDirectory(sweep_dir).summary.name}")):
        trial = json.loads(path.read_text()).get("trial") or {}
        if trial.get("state") == "PRUNED":
            pruned.append((trial["number"], trial["pruned_at_epoch"] + 1))
    return [f"trial {number} (after epoch {epoch})" for number, epoch in sorted(pruned)]


def tensorboard_command(log_dir: Path) -> str:
    """The shell command that shows `log_dir`'s runs in TensorBoard."""
    return f"tensorboard --logdir {shlex.quote(str(log_dir))}"


def _count_grid_jobs(config: DictConfig) -> int | None:
    """The number of jobs Hydra's basic sweeper makes of the overrides, or
    None where they are not a grid (a sweeper with ranges to search)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    params = config.hydra.sweeper.get("params")  # the basic sweeper's optional grid in config
    arguments = [f"{key}={value}" for key, value in (params or {}).items()]
    arguments += list(config.hydra.overrides.task)
    try:
        overrides = OverridesParser.create().parse_overrides(arguments)
        return sum(len(batch) for batch in BasicSweeper.split_arguments(overrides, None))
    except HydraException:
        return None
