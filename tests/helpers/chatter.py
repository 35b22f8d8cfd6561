"""Processes whose TensorFlow writes a start-up line from C (tests/helpers/chatter_site)."""

from __future__ import annotations

import os
from pathlib import Path

# What the chattering processes write to file descriptor 2 as TensorFlow loads.
C_CHATTER = "start-up chatter written from C while TensorFlow loads"
_SITE = Path(__file__).parent / "chatter_site"


def chattering(env: dict | None = None, *modes: str) -> dict:
    """`env` (default: this process's) for a process, and each process it starts, whose
    TensorFlow writes C_CHATTER to descriptor 2 while it loads; `modes`: `warn`, `fail`."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SITE), env.get("PYTHONPATH", "")) if p)
    env["FRAMEWORK_TEST_CHATTER"] = ",".join(modes)
    return env
