"""How the commands load TensorFlow and Keras: in about half the time of a plain import.

Two costs of `import keras` buy a command nothing:

- Keras imports scikit-learn, pandas and matplotlib when they are installed
  (as they are here, for the bundled data sets, CSV files and plots), and
  TensorFlow's legacy Keras imports scipy.sparse, for features the commands
  never use: Keras's scikit-learn wrappers, pandas DataFrames as `fit`
  inputs, its image galleries, sparse SciPy inputs to the legacy `fit`. That
  is about two seconds on 2 cores. While Keras loads, those modules are
  reported missing, so those features stay off; the framework imports them
  itself, later, where a data source or the plots need them.
- Importing TensorFlow and Keras creates some 700,000 long-lived objects and
  next to no garbage, yet Python's cyclic garbage collector traverses them
  again and again while they load, and once more as the interpreter exits:
  about two more seconds. The collector is paused while they load; then what
  exists is frozen (`gc.freeze`: kept alive as before, never traversed
  again), and frozen once more before exiting. Objects freed by reference
  counting (closed files, flushed writers) are freed as always.

Library use (`framework.run.run` from a notebook or a test) loads Keras as usual.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import signal
import sys
import threading
from collections.abc import Iterator

# What Keras (and TensorFlow's legacy Keras) import only for the features above. Only the import of Keras itself runs
# inside the window: plugins and data sources import these modules as usual.
_KERAS_OPTIONAL_IMPORTS = ("sklearn", "pandas", "matplotlib", "scipy.sparse")


class _ReportedMissing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if any(name == module or name.startswith(f"{module}.") for module in _KERAS_OPTIONAL_IMPORTS):
            raise ModuleNotFoundError(f"{name} is not imported while Keras loads (framework.start_up)", name=name)
        return None  # every other module is found as usual


@contextlib.contextmanager
def loading_tensorflow() -> Iterator[None]:
    """The imports inside load TensorFlow and Keras without Keras's optional imports and without
    garbage collection; what they created is frozen afterwards."""
    finder = _ReportedMissing()
    was_collecting = gc.isenabled()
    # Ctrl-C while they load is held until they have loaded, then raised here: some of
    # their imports catch every exception, which would swallow it and train anyway.
    interrupted: list[int] = []
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda number, frame: interrupted.append(number)) if in_main_thread else None
    sys.meta_path.insert(0, finder)
    gc.disable()
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        gc.freeze()
        if was_collecting:
            gc.enable()
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt


def freeze_before_exit() -> None:
    """Spares the interpreter's exit a traversal of every object: call when a command is done."""
    gc.freeze()
