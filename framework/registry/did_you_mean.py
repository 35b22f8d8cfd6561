"""The closest valid name to a misspelt one, including the names users bring from
Keras and PyTorch (`lr` for `learning_rate`, `jit` for `jit_compile`), which
spelling alone would not suggest."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Names from Keras's, PyTorch's and other trainers' APIs -> what the framework's configs call them.
KNOWN_ALIASES = {
    "lr": "learning_rate",
    "learningrate": "learning_rate",
    "jit": "jit_compile",
    "xla": "jit_compile",
    "epoch": "epochs",
    "num_epochs": "epochs",
    "n_epochs": "epochs",
    "max_epochs": "epochs",
    "bs": "batch_size",
    "batch": "batch_size",
    "batchsize": "batch_size",
    "eps": "epsilon",
    "betas": "beta_1",
    "clip_norm": "clipnorm",
    "clip_value": "clipvalue",
    "grad_clip": "global_clipnorm",
    "accumulation_steps": "gradient_accumulation_steps",
    "gradient_accumulation": "gradient_accumulation_steps",
    "ema": "use_ema",
    "out_features": "units",
    "num_units": "units",
    "out_channels": "filters",
    "num_filters": "filters",
    "p": "rate",
    "dropout": "rate",
    "logits": "from_logits",
    "num_samples": "num_examples",
    "n_samples": "num_examples",
    "validation_split": "val_fraction",
    "val_split": "val_fraction",
    "test_split": "test_fraction",
}


def closest(name: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The valid name meant by `name`: its alias among `known`, else the closest spelling, else None."""
    known = [str(candidate) for candidate in known]
    alias = KNOWN_ALIASES.get(str(name).lower())
    if alias in known:
        return alias
    matches = difflib.get_close_matches(str(name), known, n=1, cutoff=cutoff)
    return matches[0] if matches else None
