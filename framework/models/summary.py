"""What a built model is: Keras's own summary table and its parameter counts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class ModelSummary:
    """A built model described.

    Attributes:
        text: `model.summary()` as Keras prints it (layers, output shapes, parameters).
        trainable_parameters: Entries of the trainable variables.
        total_parameters: Entries of every variable (non-trainable ones such as
            BatchNormalization's moving statistics included).
    """

    text: str
    trainable_parameters: int
    total_parameters: int

    @classmethod
    def of(cls, model: keras.Model) -> ModelSummary:
        """Describes `model`, which must be built."""
        lines: list[str] = []
        # Keras renders its table with rich and hands each piece to print_fn.
        model.summary(print_fn=lambda text, line_break=True: lines.append(text + ("\n" if line_break else "")))
        return cls(
            text="".join(lines).rstrip() + "\n",
            trainable_parameters=_entries(model.trainable_weights),
            total_parameters=_entries(model.weights),
        )

    @property
    def parameters(self) -> dict[str, int]:
        """{"trainable": ..., "total": ...}, as summary.json and HParams record them."""
        return {"trainable": self.trainable_parameters, "total": self.total_parameters}


def _entries(variables: list) -> int:
    return sum(math.prod(variable.shape) for variable in variables)
