"""Python imports this at start-up in every process whose PYTHONPATH names this folder
(tests/helpers/chatter.py): as TensorFlow begins to load, a line is written to file
descriptor 2 from C (libc's write), as TensorFlow's own C++ side writes its start-up
lines on some CPUs, so the tests see whether such lines reach the console on any CPU.

$FRAMEWORK_TEST_CHATTER adds: `warn`, a Python warning at the same moment (it must
stay visible); `fail`, the import of TensorFlow then fails (what C wrote must be shown).
"""

import ctypes
import importlib.abc
import os
import sys
import warnings

LINE = b"I0000 00:00:0.0 1 chatter.cc:1] start-up chatter written from C while TensorFlow loads\n"


class _ChatterAsTensorFlowLoads(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        ctypes.CDLL(None).write(2, LINE, len(LINE))
        modes = os.environ.get("FRAMEWORK_TEST_CHATTER", "").split(",")
        if "warn" in modes:
            warnings.warn("a Python warning while TensorFlow loads", UserWarning, stacklevel=2)
        if "fail" in modes:
            raise ImportError("TensorFlow failed to load (tests/helpers/chatter_site)")
        return None


sys.meta_path.insert(0, _ChatterAsTensorFlowLoads())
