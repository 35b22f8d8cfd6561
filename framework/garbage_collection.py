"""Python's cyclic garbage collector around a command's start-up and exit.

Importing TensorFlow and Keras creates some 700,000 long-lived objects and
next to no garbage, yet the collector traverses all of them again and again
while they load, and once more as the interpreter exits: together about two
seconds of a default run on 2 cores, a third of the bare import's time. The
commands therefore import them with the collector paused and then freeze what
exists (`gc.freeze`: kept alive as before, never traversed again), and freeze
once more before exiting. Only cyclic garbage is affected; objects freed by
reference counting (closed files, flushed writers) are freed as always.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def imports_without_collection() -> Iterator[None]:
    """Pauses the collector for the imports inside; afterwards what they created is frozen."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def freeze_before_exit() -> None:
    """Spares the interpreter's exit a traversal of every object: call when a command is done."""
    gc.freeze()
