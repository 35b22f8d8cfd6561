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

And one thing it costs the console: TensorFlow's C++ side writes to the
process's standard error (file descriptor 2) while it loads, whatever
TF_CPP_MIN_LOG_LEVEL says (its `absl::InitializeLog()` and oneDNN notices on
CPUs where oneDNN's custom operations are on). While TensorFlow and Keras load,
descriptor 2 points at a temporary file and Python's `sys.stderr` at the
console, so Python's warnings and errors are seen as always while what C
writes goes to the run's log (`framework.details`: train.log) instead. If the
import fails, what C wrote is shown on the console, before the error.

Library use (`framework.run.run` from a notebook or a test) loads Keras as usual.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import importlib.abc
import importlib.metadata
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator

from framework.errors import ConfigError

# The distributions that install each backend's library, and the install command that brings one.
_BACKEND_LIBRARIES = {
    "tensorflow": (("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"), "pip install -e '.[cpu]', or '.[gpu]' for CUDA"),
    "jax": (("jax",), "pip install -e '.[jax]', or '.[jax-cuda]' for CUDA"),
}

# What TensorFlow's C++ side wrote while it loaded: train.log only (configs/hydra/job_logging/framework.yaml).
details = logging.getLogger("framework.details")

# What Keras (and TensorFlow's legacy Keras) import only for the features above. Only the import of Keras itself runs
# inside the window: plugins and data sources import these modules as usual.
_KERAS_OPTIONAL_IMPORTS = ("sklearn", "pandas", "matplotlib", "scipy.sparse")


class _ReportedMissing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        # JAX itself needs scipy.sparse (jax.experimental.sparse, which Keras's JAX backend imports).
        optional = _KERAS_OPTIONAL_IMPORTS[:-1] if os.environ.get("KERAS_BACKEND") == "jax" else _KERAS_OPTIONAL_IMPORTS
        if any(name == module or name.startswith(f"{module}.") for module in optional):
            raise ModuleNotFoundError(f"{name} is not imported while Keras loads (framework.start_up)", name=name)
        return None  # every other module is found as usual


def select_keras_backend(name: str) -> None:
    """Makes Keras load backend `name` (Keras reads KERAS_BACKEND once, when it is first imported).

    Raises:
        ConfigError: The backend's library is not installed, or this process
            already loaded Keras with another backend.
    """
    if "keras" in sys.modules:
        loaded = sys.modules["keras"].backend.backend()
        if loaded != name:
            raise ConfigError(
                f"backend={name}: this process already loaded Keras with the {loaded} backend, and Keras loads "
                f"one backend per process. Run each backend in its own command (a sweep over backend= needs "
                f"hydra/launcher=joblib, which starts a process per job)."
            )
        return
    distributions, install = _BACKEND_LIBRARIES[name]
    if not any(_installed(distribution) for distribution in distributions):  # asked without importing it
        raise ConfigError(
            f"backend={name}: {name} is not installed in this environment ({sys.executable}). "
            f"Install it ({install}), or choose an installed backend: backend=tensorflow or backend=jax."
        )
    os.environ["KERAS_BACKEND"] = name
    if name == "jax":
        # JAX warns about every platform it probes and lacks ("Unable to initialize backend
        # 'tpu'"); which devices a run has is logged to train.log (framework.backends).
        logging.getLogger("jax._src.xla_bridge").setLevel(logging.ERROR)


def installed_backends() -> list[str]:
    """The Keras backends whose library is installed here (found without importing it)."""
    return [name for name, (distributions, _) in _BACKEND_LIBRARIES.items() if any(map(_installed, distributions))]


def _installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


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
        with _c_output_off_the_console():
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


@contextlib.contextmanager
def _c_output_off_the_console() -> Iterator[None]:
    """Inside, file descriptor 2 is a temporary file and `sys.stderr` the console (see the module's docs)."""
    try:
        sys.stderr.flush()
        console = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no standard error to keep clean
        yield
        return
    python_stderr, fault_handler_was_on = sys.stderr, faulthandler.is_enabled()
    encoding = getattr(python_stderr, "encoding", None) or "utf-8"
    with tempfile.TemporaryFile() as c_output, open(
        console, "w", encoding=encoding, errors="backslashreplace", buffering=1, closefd=False
    ) as console_stream:
        os.dup2(c_output.fileno(), 2)
        if _writes_to_descriptor_2(python_stderr):  # else (a notebook, pytest's capture) it never reached descriptor 2
            sys.stderr = console_stream
        faulthandler.enable(console_stream)  # a crash while loading (SIGILL, abort) still says where
        failed = True
        try:
            yield
            failed = False
        finally:
            _restore_fault_handler(fault_handler_was_on, python_stderr)
            console_stream.flush()
            sys.stderr = python_stderr
            os.dup2(console, 2)
            os.close(console)
            c_output.seek(0)
            _report_c_output(c_output.read().decode(errors="backslashreplace"), failed)


def _writes_to_descriptor_2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


def _restore_fault_handler(was_on: bool, stream) -> None:
    faulthandler.disable()
    if was_on:
        with contextlib.suppress(AttributeError, OSError, ValueError, RuntimeError):  # a stream without a descriptor
            faulthandler.enable(stream)


def _report_c_output(written: str, failed: bool) -> None:
    if failed:  # the user needs what the loader said to see why it failed
        sys.stderr.write(written)
        sys.stderr.flush()
        return
    for line in written.splitlines():
        if line.strip():
            details.info("TensorFlow (C++) while loading: %s", line)


def freeze_before_exit() -> None:
    """Spares the interpreter's exit a traversal of every object: call when a command is done."""
    gc.freeze()
