"""Benchmarks of what users run: whole processes of the CLI at its default settings.

Each arm is a command taking an epoch count. Its cost per epoch is the
marginal wall time between a short and a long process, so start-up (Python,
TensorFlow, Hydra, saving, plots) cancels out; arms are interleaved and each
ratio uses the median of the repeats. The default run's whole wall time is
compared with a bare `import tensorflow, keras`.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
_SCRIPTS = Path(__file__).parent / "scripts"

Command = Callable[[int, str], list[str]]  # (epochs, scratch dir) -> argv


def framework_command(*overrides: str) -> Command:
    def command(epochs: int, scratch: str) -> list[str]:
        return [sys.executable, "-m", "framework.train", "+experiment=seed_linear", f"epochs={epochs}", *overrides,
                f"hydra.run.dir={scratch}/run"]

    return command


def script_command(name: str, *arguments: str) -> Command:
    def command(epochs: int, scratch: str) -> list[str]:
        return [sys.executable, str(_SCRIPTS / name), str(epochs), *arguments]

    return command


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def marginal_seconds_per_epoch(arms: dict[str, tuple[Command, tuple[int, int]]], repeats: int) -> dict[str, float]:
    """Median over `repeats` of (time(long) - time(short)) / (long - short epochs), arms interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(repeats):
        for name, (command, (short, long)) in arms.items():
            with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
                elapsed = seconds(command(long, second)) - seconds(command(short, first))
            samples[name].append(elapsed / (long - short))
    # A median that is not positive means the processes' own noise exceeded the extra
    # epochs' cost: nothing was measured (NaN, reported as a missed row), never infinity.
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {name: median if median > 0 else math.nan for name, median in medians.items()}


def each_arm_once(arms: dict[str, tuple[Command, tuple[int, int]]]) -> dict[str, float]:
    """Runs every arm's command once, at its short epoch count: the smoke run's check that each
    runs (a marginal rate needs two runs, so nothing is measured: NaN seconds per epoch)."""
    for command, (short, _) in arms.values():
        with tempfile.TemporaryDirectory() as scratch:
            seconds(command(short, scratch))
    return dict.fromkeys(arms, math.nan)


def default_run_seconds(repeats: int) -> dict[str, float]:
    """Wall time of `python -m framework.train` (the default experiment) and of a bare import of TensorFlow and Keras."""
    samples: dict[str, list[float]] = {"default run seconds": [], "import tensorflow, keras seconds": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as scratch:
            samples["default run seconds"].append(seconds([sys.executable, "-m", "framework.train", f"hydra.run.dir={scratch}/run"]))
        samples["import tensorflow, keras seconds"].append(seconds([sys.executable, "-c", "import tensorflow, keras"]))
    return {name: statistics.median(values) for name, values in samples.items()}


def cli_arms(small: bool) -> dict[str, tuple[Command, tuple[int, int]]]:
    """Every CLI arm with its (short, long) epoch counts; `small` for the smoke run."""
    # The long process runs several seconds longer than the short one: whole processes vary by about a second.
    fast, slow = ((2, 6), (2, 4)) if small else ((1_000, 101_000), (20, 220))
    medium = (2, 6) if small else (100, 2_100)
    arms = {}
    for verbose in (2,) if small else (0, 1, 2):  # the smoke runs the default (the same code at every level)
        arms[f"cli tape, verbose={verbose}"] = (framework_command(f"verbose={verbose}"), fast)
        arms[f"cli fit, verbose={verbose}"] = (framework_command("strategy=fit", f"verbose={verbose}"), medium)
        arms[f"raw model.fit(x, y) script, verbose={verbose}"] = (script_command("raw_fit.py", str(verbose)), slow)
    arms["tutorial eager loop script"] = (script_command("tutorial_eager_loop.py"), medium)
    return arms
