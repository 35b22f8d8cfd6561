"""Metrics by key (the top-level `metrics: [...]` list); importing this package registers Keras's built-ins in METRICS."""

from framework.metrics.keras_metrics import Accuracy

__all__ = ["Accuracy"]
