"""What a classifier run saved about its outputs, and its outputs as class probabilities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from framework.run_directory import RunDirectory


@dataclass(frozen=True)
class Classes:
    """What a classifier run saved about its outputs.

    Attributes:
        names: The class names, in the order of the model's outputs.
        from_logits: Whether the outputs are logits (the run's loss.from_logits).
    """

    names: list[str]
    from_logits: bool


def saved_classes(run_dir: Path) -> Classes | None:
    """The classes of a classifier run; None for other runs."""
    path = RunDirectory(run_dir).class_names
    return Classes(**json.loads(path.read_text())) if path.is_file() else None


def class_probabilities(scores: np.ndarray, num_classes: int, from_logits: bool) -> np.ndarray:
    """Each class's probability from a classifier's outputs: logits (the run's
    loss.from_logits) through softmax, or through the sigmoid for one output of
    two classes; probabilities as they are."""
    scores = scores.astype(np.float64)
    if scores.shape[1] == 1 and num_classes == 2:
        positive = 1 / (1 + np.exp(-scores[:, 0])) if from_logits else scores[:, 0]
        return np.stack([1 - positive, positive], axis=1)
    if not from_logits:
        return scores
    exponentials = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)
