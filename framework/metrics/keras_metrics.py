"""Keras's built-in metrics, registered in METRICS under snake_case keys.

A run builds each metric with `name=<its key>`, so the key is also the name
in the epoch logs (`accuracy`, `val_accuracy`), on TensorBoard
(`epoch/accuracy`) and in summary.json, under every strategy. The config
models below validate a metric's arguments before any TensorFlow work; their
defaults are Keras's own (tests/test_metrics.py checks they stay equal).
"""

from __future__ import annotations

from typing import Annotated, Literal

import keras
import pydantic

from framework.registry import METRICS
from framework.registry.schema import ComponentConfig

Probability = Annotated[float, pydantic.Field(ge=0, le=1)]


class NoArguments(ComponentConfig):
    """The metric takes no arguments."""


class ThresholdConfig(ComponentConfig):
    """Attributes:
    threshold: A prediction above it counts as the positive class.
    """

    threshold: Probability = 0.5


class TopKConfig(ComponentConfig):
    """Attributes:
    k: A prediction counts as right when the target is among its k highest scores.
    """

    k: Annotated[int, pydantic.Field(ge=1)] = 5


class CrossentropyConfig(ComponentConfig):
    """Attributes:
    from_logits: The model outputs logits rather than probabilities.
    label_smoothing: Moves the targets this far towards uniform, in [0, 1].
    """

    from_logits: bool = False
    label_smoothing: Probability = 0.0


class SparseCrossentropyConfig(ComponentConfig):
    """Attributes:
    from_logits: The model outputs logits rather than probabilities.
    """

    from_logits: bool = False


class AUCConfig(ComponentConfig):
    """Attributes:
    curve: ROC (the receiver operating characteristic) or PR (precision-recall).
    num_thresholds: Thresholds the curve is approximated with.
    from_logits: The model outputs logits rather than probabilities.
    multi_label: One curve per label, averaged; otherwise all labels are pooled.
    """

    curve: Literal["ROC", "PR"] = "ROC"
    num_thresholds: Annotated[int, pydantic.Field(ge=2)] = 200
    from_logits: bool = False
    multi_label: bool = False


class PrecisionRecallConfig(ComponentConfig):
    """Attributes:
    thresholds: A prediction above it counts as positive (None: 0.5).
    top_k: Counts only the k highest scores of each prediction as positive.
    class_id: Computes the metric for this one class of a multi-class output.
    """

    thresholds: Probability | None = None
    top_k: Annotated[int, pydantic.Field(ge=1)] | None = None
    class_id: Annotated[int, pydantic.Field(ge=0)] | None = None


@keras.saving.register_keras_serializable(package="framework")
class Accuracy(keras.metrics.MeanMetricWrapper):
    """What `compile(metrics=["accuracy"])` computes: binary, sparse categorical or
    categorical accuracy, chosen from the shapes of targets and outputs as Keras
    chooses (one output unit: binary; one target per example for several units:
    sparse categorical; else categorical). Decided when the step is traced."""

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(fn=_accuracy, name=name, dtype=dtype)
        self._direction = "up"  # Keras's callbacks read it for mode="auto"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _accuracy(y_true, y_pred):
    if y_pred.shape[-1] == 1:
        return keras.metrics.binary_accuracy(y_true, y_pred)
    if len(y_true.shape) < len(y_pred.shape) or y_true.shape[-1] == 1:
        return keras.metrics.sparse_categorical_accuracy(y_true, y_pred)
    return keras.metrics.categorical_accuracy(y_true, y_pred)


METRICS.register("accuracy", config=NoArguments)(Accuracy)
METRICS.register("binary_accuracy", config=ThresholdConfig)(keras.metrics.BinaryAccuracy)
METRICS.register("categorical_accuracy", config=NoArguments)(keras.metrics.CategoricalAccuracy)
METRICS.register("sparse_categorical_accuracy", config=NoArguments)(keras.metrics.SparseCategoricalAccuracy)
METRICS.register("top_k_categorical_accuracy", config=TopKConfig)(keras.metrics.TopKCategoricalAccuracy)
METRICS.register("sparse_top_k_categorical_accuracy", config=TopKConfig)(keras.metrics.SparseTopKCategoricalAccuracy)
METRICS.register("auc", config=AUCConfig)(keras.metrics.AUC)
METRICS.register("precision", config=PrecisionRecallConfig)(keras.metrics.Precision)
METRICS.register("recall", config=PrecisionRecallConfig)(keras.metrics.Recall)
METRICS.register("binary_crossentropy", config=CrossentropyConfig)(keras.metrics.BinaryCrossentropy)
METRICS.register("categorical_crossentropy", config=CrossentropyConfig)(keras.metrics.CategoricalCrossentropy)
METRICS.register("sparse_categorical_crossentropy", config=SparseCrossentropyConfig)(keras.metrics.SparseCategoricalCrossentropy)
METRICS.register("mae", config=NoArguments)(keras.metrics.MeanAbsoluteError)
METRICS.register("mse", config=NoArguments)(keras.metrics.MeanSquaredError)
METRICS.register("rmse", config=NoArguments)(keras.metrics.RootMeanSquaredError)
METRICS.register("mape", config=NoArguments)(keras.metrics.MeanAbsolutePercentageError)
METRICS.register("r2_score", config=NoArguments)(keras.metrics.R2Score)
METRICS.register("cosine_similarity", config=NoArguments)(keras.metrics.CosineSimilarity)
