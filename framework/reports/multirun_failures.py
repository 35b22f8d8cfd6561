"""A multirun runs every job even when some fail, then lists the failures and exits non-zero.

In a multirun the task function catches a job's failure, whatever it is (a
bad config for that job, a diverged loss, a directory another run owns, a
bug), records it with `record_job_failure` (`run()` has usually written the
job's `FAILED` file too) and returns NaN, so Hydra goes on with the next job. This
Hydra callback collects those files as jobs end and, when the sweep is over,
lists them on stderr and exits with status 1. (Hydra turns an exception
raised by a callback into a warning, so the callback exits itself.)
"""

from __future__ import annotations

import sys
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from framework.config.user_errors import FAILED_JOBS_EXIT_CODE
from framework.run_directory import RunDirectory

# Failures of jobs run in this process, by output directory: a job may fail
# before it can write its FAILED file (another run's directory, a lock).
_JOB_FAILURES: dict[str, str] = {}


def record_job_failure(output_dir: str, message: str) -> None:
    """Remembers that the job writing `output_dir` failed with `message`, for the end-of-sweep report."""
    _JOB_FAILURES[str(output_dir)] = message


class FailedJobsReport(Callback):
    """Hydra callback: remembers failed jobs, reports them when the multirun ends."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []
        self.jobs = 0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.failures, self.jobs = [], 0

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if job_return.hydra_cfg.hydra.mode != RunMode.MULTIRUN:
            return
        self.jobs += 1
        output_dir = job_return.hydra_cfg.hydra.runtime.output_dir
        error = _JOB_FAILURES.pop(str(output_dir), None) or RunDirectory(output_dir).failure()
        if error is None and job_return.status == JobStatus.FAILED:
            error = "the job raised an error (its log above has it)"
        if error is not None:
            self.failures.append((f"{job_return.hydra_cfg.hydra.job.num}: {' '.join(job_return.overrides)}", error))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self.failures:
            lines = [f"  job {job}\n    {error}" for job, error in self.failures]
            sys.stderr.write(
                f"Error: {len(self.failures)} of {self.jobs} multirun jobs failed (the others "
                f"finished; each failed job's directory holds a FAILED file):\n" + "\n".join(lines) + "\n"
            )
            sys.exit(FAILED_JOBS_EXIT_CODE)
