"""The guard against saving a diverged model: every variable must be finite.

The training loops check the loss at every step (in the graph). A step that
overflows the weights shows up in the next step's loss, except after the very
last update, whose loss is never computed. So the variables themselves are
checked where they are about to be kept: before each checkpoint, when
training ends and before the model is saved. That costs one pass over the
variables a few times per run and nothing per step.
"""

from __future__ import annotations

import keras
import numpy as np

from framework.errors import NonFiniteWeightsError


def check_finite_weights(model: keras.Model, optimizer: keras.optimizers.Optimizer, epochs_done: int) -> None:
    """Raises NonFiniteWeightsError naming the first variable holding NaN or infinity.

    Args:
        model: The trained model.
        optimizer: Its optimizer (its `iterations` is the global step, for the message).
        epochs_done: Epochs trained so far, for the message.
    """
    for variable in model.variables:
        values = np.asarray(variable.numpy())  # also for a distribution's mirrored variables
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = values[~np.isfinite(values)].flat[0]
            step = int(optimizer.iterations.numpy())
            learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
            raise NonFiniteWeightsError(
                f"The model's variable {variable.path} became {bad} at step {step} (after epoch {epochs_done}); "
                f"training stopped there and nothing diverged was saved (the newest checkpoint is the last "
                f"finite state). This usually means the optimizer diverged: lower optimizer.learning_rate "
                f"(now {learning_rate:g}), or check the data and the model for values that overflow."
            )
