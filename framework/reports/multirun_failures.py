"""A multirun runs every job even when some fail, then lists the failures and exits non-zero.

In a multirun the task function catches a job's FrameworkError (a bad config
for that job, a diverged loss), which `run()` has recorded in the job's
`FAILED` file, and returns NaN, so Hydra goes on with the next job. This
Hydra callback collects those files as jobs end and, when the sweep is over,
lists them on stderr and exits with status 1. (Hydra turns an exception
raised by a callback into a warning, so the callback exits itself.)
"""

from __future__ import annotations

import sys
from typing import Any

from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from framework.config.user_errors import FAILED_JOBS_EXIT_CODE
from framework.run_directory import RunDirectory


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
        error = RunDirectory(job_return.hydra_cfg.hydra.runtime.output_dir).failure()
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
