"""Which targets each built-in loss takes, and the rules that follow between loss and data.

A classification data source gives class ids (int32 [N]); Keras's losses take
class ids, one-hot rows, 0/1 values or numbers. A loss that cannot read the
targets it is given would fail deep inside TensorFlow, or train nonsense
without failing, so the mismatch is one error naming the loss and the fix.
"""

from __future__ import annotations

from typing import Any

from framework.errors import ConfigError

# The loss keys (framework.losses: Keras's class names in snake case, plus mse and mae) by the targets they take.
CLASS_ID_LOSSES = frozenset({"sparse_categorical_crossentropy", "categorical_generalized_cross_entropy"})
ONE_HOT_LOSSES = frozenset({"categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "kl_divergence"})
BINARY_LOSSES = frozenset({"binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"})
NUMBER_LOSSES = frozenset({
    "mse", "mae", "huber", "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "poisson", "cosine_similarity",
})


def reads_labels_as_classes(loss_key: str) -> bool:
    """Whether numeric labels (0/1/2 in a file) are class ids for this loss (data.target_type=auto)."""
    return loss_key in CLASS_ID_LOSSES


def check_loss_fits_targets(loss_key: str, data: Any) -> None:
    """Raises ConfigError when loss `loss_key` cannot read the targets of the built `data` source.

    Plugins' losses and Keras losses not listed above are not checked.
    """
    classes = data.num_classes
    sparse = f"loss=sparse_categorical_crossentropy (with loss.from_logits=true for a last layer without softmax)"
    if classes is None and loss_key in CLASS_ID_LOSSES:
        raise ConfigError(
            f"loss={loss_key} takes class ids, but the data's targets are numbers to predict (regression, "
            f"shape {tuple(data.target_shape)}). For labels in a file, set data.target_type=classification; "
            f"for numbers, use a regression loss such as loss=mse."
        )
    if classes is None:
        return
    names = ", ".join(data.class_names[:5]) + (", ..." if classes > 5 else "")
    which = f"the data's targets are class ids of {classes} classes ({names})"
    if loss_key in NUMBER_LOSSES:
        raise ConfigError(
            f"loss={loss_key} compares numbers, but {which}: distances between class ids mean nothing. "
            f"Use {sparse}, and a last layer of {classes} units."
        )
    if loss_key in ONE_HOT_LOSSES:
        raise ConfigError(
            f"loss={loss_key} takes one-hot rows, but {which}. Use {sparse}, the same loss for class ids."
        )
    if loss_key in BINARY_LOSSES and classes > 2:
        raise ConfigError(
            f"loss={loss_key} is for two classes (0/1 targets), but {which}. Use {sparse}, "
            f"and a last layer of {classes} units."
        )
