"""Losses by key (the `loss` config group); importing this package registers every Keras loss in LOSSES."""

from framework.losses import keras_losses

__all__ = ["keras_losses"]
