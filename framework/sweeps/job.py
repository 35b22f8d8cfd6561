"""What a multirun job knows of its sweep: the sweep directory, its number, its Optuna trial.

The task function (framework.train) reads it from Hydra's config and hands it
to `run()`; a single run has none. The Optuna trial comes from the sweeper
(framework.sweeps.optuna_sweeper), which adds `hydra.sweeper.trial` to each
job's overrides, so a job in any process reloads the trial from the study's
storage. This module imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The job override key under which the sweeper hands each job its trial.
TRIAL_KEY = "hydra.sweeper.trial"
# The trial system attribute naming the sweep process that runs the trial (host:pid).
OWNER_ATTR = "framework:sweep_process"


@dataclass(frozen=True)
class TrialRef:
    """An Optuna trial, by what reloads it in any process.

    Attributes:
        storage: The study's storage URL (sqlite:///..., a database URL).
        study: The study's name in that storage.
        number: The trial's number in the study.
    """

    storage: str
    study: str
    number: int

    def record(self, pruned_at_epoch: int | None) -> dict[str, Any]:
        """What summary.json keeps of the trial: PRUNED after `pruned_at_epoch` (0-based), or COMPLETE."""
        state = "COMPLETE" if pruned_at_epoch is None else "PRUNED"
        return {"study": self.study, "number": self.number, "state": state, "pruned_at_epoch": pruned_at_epoch}

    def as_override(self) -> str:
        """The job override that hands this trial to a job (quoted for Hydra's parser)."""
        return f"++{TRIAL_KEY}={{storage:{_quoted(self.storage)},study:{_quoted(self.study)},number:{self.number}}}"


@dataclass(frozen=True)
class SweepJob:
    """One job of a multirun.

    Attributes:
        sweep_dir: The multirun's directory, which names the sweep (trackers group its runs by it).
        number: The job's number in the multirun (Hydra's hydra.job.num).
        trial: The Optuna trial it runs (sweep=optuna), or None.
    """

    sweep_dir: str
    number: int
    trial: TrialRef | None = None


def sweep_job(hydra_config: Any) -> SweepJob | None:
    """The job Hydra's config (HydraConfig.get()) describes, or None for a single run."""
    from hydra.types import RunMode

    if hydra_config.mode != RunMode.MULTIRUN:
        return None
    trial = hydra_config.sweeper.get("trial")
    return SweepJob(
        sweep_dir=str(hydra_config.sweep.dir),
        number=int(hydra_config.job.num),
        trial=TrialRef(str(trial.storage), str(trial.study), int(trial.number)) if trial else None,
    )


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
