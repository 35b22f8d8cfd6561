"""Sweeps: what a multirun job knows of its sweep, and Optuna studies that prune and resume.

Importing this package registers the built-in pruners in PRUNERS; Optuna
itself is imported only by a sweep=optuna multirun and the jobs it prunes.
"""

from framework.sweeps.job import SweepJob, TrialRef
from framework.sweeps.pruners import HyperbandPrunerConfig, MedianPrunerConfig

__all__ = ["HyperbandPrunerConfig", "MedianPrunerConfig", "SweepJob", "TrialRef"]
