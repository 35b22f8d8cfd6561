"""A command run as `python -m` would run it, reporting at exit what its process imported and froze."""

from __future__ import annotations

import json

# `python -c PROBE <module> <arguments...>`: runs the module's main and, at exit (also
# after SystemExit), writes PROBE={"modules": [...], "frozen": n} to stderr.
PROBE = (
    "import atexit, gc, json, runpy, sys; "
    "watched = ('sklearn', 'pandas', 'matplotlib', 'matplotlib.pyplot', 'scipy.sparse', 'tensorflow'); "
    "atexit.register(lambda: sys.stderr.write('PROBE=' + json.dumps({"
    "'modules': [m for m in watched if m in sys.modules], 'frozen': gc.get_freeze_count()}) + '\\n')); "
    "module = sys.argv[1]; sys.argv = [module] + sys.argv[2:]; runpy.run_module(module, run_name='__main__', alter_sys=True)"
)


def probe_report(stderr: str) -> dict | None:
    """What PROBE reported in a process's stderr, or None if it reported nothing."""
    lines = [line for line in stderr.splitlines() if line.startswith("PROBE=")]
    return json.loads(lines[-1].removeprefix("PROBE=")) if lines else None


def imported_tensorflow(stderr: str) -> bool:
    """Whether the probed process imported TensorFlow."""
    report = probe_report(stderr)
    assert report is not None, stderr[-3000:]
    return "tensorflow" in report["modules"]
