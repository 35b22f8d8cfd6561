"""What differs between Keras backends, each concern behind one interface.

Everything else in the framework is written once, for every backend: it
hands this package NumPy arrays (data sources), Keras objects (model,
optimizer, loss, metrics) and Python numbers (loggers). `selected()` is the
Backend of the Keras backend this process runs (KERAS_BACKEND, set from the
`backend` setting before Keras loads); only it imports the backend's own
library, so a JAX run never imports TensorFlow.
"""

from __future__ import annotations

import importlib

from framework.backends.backend import Backend, EpochLoop

BACKENDS = ("tensorflow", "jax")


def selected() -> Backend:
    """The Backend of the Keras backend loaded in this process."""
    import keras  # the caller has loaded it with the run's backend

    return importlib.import_module(f"framework.backends.{keras.backend.backend()}").BACKEND


__all__ = ["BACKENDS", "Backend", "EpochLoop", "selected"]
