"""The base of loggers: Keras callbacks that also own a resource to close."""

import keras


class RunLogger(keras.callbacks.Callback):
    """A callback recording a run. `close()` releases what it holds; the run
    calls it on success and on failure, so nothing written is lost."""

    def close(self) -> None:
        """Flushes and releases whatever the logger holds. Safe to call twice."""
