"""Settings that run but make little sense for the data: said once, as a warning on the
console and in train.log, before training starts. (Settings that cannot work at all
are errors, in framework/config/plan.py.)
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger("framework")

# Inputs this large reach a model as they are only by mistake (pixel values 0..255,
# raw prices): the first layer's outputs, and so its gradient steps, are that large too.
LARGE_INPUT = 50.0
# Layers that put inputs on a small scale themselves (Keras's class names), and a Keras
# application's own preprocessing (framework/layers/application_preprocessing.py), which
# takes raw pixels: VGG's, for one, only subtracts the mean of each colour.
_SCALING_LAYERS = ("Normalization", "Rescaling", "BatchNormalization", "LayerNormalization", "GroupNormalization",
                   "UnitNormalization", "RMSNormalization", "ApplicationPreprocessing")
_EXAMPLES_LOOKED_AT = 1000


def warn_about_settings(plan: Any, data: Any, model: Any) -> None:
    """Warns once per finding: gradient accumulation over more batches than an epoch
    holds, and large inputs (e.g. raw pixels) reaching a model that does not scale them."""
    steps = plan.components["optimizer"].kwargs.get("gradient_accumulation_steps")
    if steps and steps > data.steps_per_epoch:
        log.warning(
            "Warning: optimizer.gradient_accumulation_steps=%d, but an epoch holds %d batch(es) of %d examples: "
            "one update spans %d epochs, so the weights change only every %d epochs (their epoch lines repeat). "
            "Use a data.batch_size of at most %d (the training examples over the accumulation steps) or fewer "
            "accumulation steps.",
            steps, data.steps_per_epoch, data.batch_size, -(-steps // data.steps_per_epoch),
            -(-steps // data.steps_per_epoch), max(1, data.num_train_examples // steps),
        )
    inputs, _ = data.sample(min(_EXAMPLES_LOOKED_AT, data.num_train_examples))
    if data.categories is not None:  # codes of categories, which the model encodes, are no magnitudes
        inputs = np.delete(inputs, [column.position for column in data.categories.columns], axis=-1)
    largest = float(np.max(np.abs(inputs))) if np.size(inputs) else 0.0
    scaled = any(type(layer).__name__ in _SCALING_LAYERS for layer in _layers(model))
    if largest > LARGE_INPUT and not scaled:
        log.warning(
            "Warning: the inputs reach %.4g (pixel values?), and the model does not scale them: steps this large "
            "make training diverge or stall. Set data.normalize=true, or begin model.layers with "
            "{name: rescaling, scale: %.6g}.",
            largest, 1.0 / (255.0 if largest <= 255 else largest),
        )


def _layers(model: Any) -> list[Any]:
    """Every layer of `model`, those of nested models included."""
    found = []
    for layer in getattr(model, "layers", []):
        found += [layer, *_layers(layer)]
    return found
