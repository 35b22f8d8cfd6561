"""Running the framework from tests: in-process through the public API, or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from framework.config import compose
from framework.result import RunResult

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_in(run_dir: Path, *overrides: str) -> RunResult:
    """`run(cfg)` for the composed overrides, writing into `run_dir`; for module-scoped fixtures."""
    from framework.run import run

    return run(compose(overrides), run_dir)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 180):
    """Runs `python -m framework.train ARGS` in a subprocess."""
    return run_python("-m", "framework.train", *args, cwd=cwd, env=env, timeout=timeout)


def run_python(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 180):
    """Runs `python ARGS` in a subprocess (the test environment's Python)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
