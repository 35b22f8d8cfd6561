"""A JAX run loads no TensorFlow, also where TensorFlow is installed.

Two libraries would import it on their own whenever it is installed, for
nothing a JAX run uses (seconds, and TensorFlow's C++ start-up lines):

- `keras.utils.set_random_seed` seeds TensorFlow too. A JAX run's batches are
  drawn in NumPy and its randomness is Keras's own SeedGenerator, so while
  Keras seeds, TensorFlow is reported missing and Keras skips it; anything
  that asks for TensorFlow later still imports it.
- The tensorboard package's event-file writer runs on TensorFlow's file API
  when it can import TensorFlow, else on its own stub. TensorBoard's
  TensorFlow-free build marks the stub's use with a module named
  `tensorboard.compat.notf`; the JAX backend provides that marker.
"""

from __future__ import annotations

import importlib.abc
import sys
import types

import keras

_TENSORBOARD_NO_TENSORFLOW = "tensorboard.compat.notf"


def use_tensorboard_without_tensorflow() -> None:
    """Before the first event file is written: TensorBoard reads the marker once."""
    sys.modules.setdefault(_TENSORBOARD_NO_TENSORFLOW, types.ModuleType(_TENSORBOARD_NO_TENSORFLOW))


class _TensorFlowReportedMissing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ModuleNotFoundError(f"{name} is not imported to seed a JAX run ({__name__})", name=name)
        return None


def set_random_seed_without_tensorflow(seed: int) -> None:
    finder = _TensorFlowReportedMissing()
    sys.meta_path.insert(0, finder)
    try:
        keras.utils.set_random_seed(seed)
    finally:
        sys.meta_path.remove(finder)
