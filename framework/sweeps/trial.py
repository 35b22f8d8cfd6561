"""A job's Optuna trial, reloaded from the study's storage in whatever process runs the job."""

from __future__ import annotations

from typing import Any

from framework.errors import ConfigError
from framework.sweeps.job import TrialRef


def load_trial(ref: TrialRef, pruner: Any) -> Any:
    """The live `optuna.Trial` `ref` names, judged by `pruner` (Optuna keeps no pruner in storage).

    Raises:
        ConfigError: The study's storage cannot be reached from this process.
    """
    import optuna

    try:
        study = optuna.load_study(study_name=ref.study, storage=ref.storage, pruner=pruner)
        # Optuna hands out live trials only through ask(); the sweeper asked for this one, and
        # Trial(study, id) is how Optuna itself rebuilds it (the id from the trial's number).
        trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, ref.number)
    except (KeyError, ImportError, RuntimeError, ValueError) as error:
        raise ConfigError(
            f"hydra.sweeper.trial: this job cannot reach its Optuna trial {ref.number} of study {ref.study!r} in "
            f"{ref.storage} ({type(error).__name__}: {error}). Every job must reach the study's storage: use a "
            f"storage all machines reach (a shared file or a database URL) with hydra.sweeper.storage."
        ) from None
    return optuna.trial.Trial(study, trial_id)
