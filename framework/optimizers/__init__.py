"""Optimizers and learning-rate schedules; importing this package registers them in OPTIMIZERS and SCHEDULES."""

from framework.optimizers import keras_optimizers, schedules
from framework.optimizers.schedules import LinearWarmup

__all__ = ["LinearWarmup", "keras_optimizers", "schedules"]
