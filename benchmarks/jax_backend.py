"""backend=jax against backend=tensorflow, and against plain Keras-on-JAX code.

CLI rows are whole `python -m framework.train` processes at default settings
(marginal epochs/s between a short and a long process, interleaved with the
TensorFlow arms they are compared with). In-process rows run in a process of
their own with KERAS_BACKEND=jax (scripts/jax_arms.py): Keras loads one
backend per process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cli

_SCRIPT = Path(__file__).parent / "scripts" / "jax_arms.py"
_JAX_ENV = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONUNBUFFERED": "1"}


def cli_arms(small: bool) -> dict:
    fast, medium = ((2, 6), (2, 6)) if small else ((1_000, 101_000), (100, 2_100))
    fast_jax = (2, 6) if small else (1_000, 301_000)  # epochs cost a few microseconds: a longer run to measure them
    return {
        "cli tape, tensorflow, verbose=0": (cli.framework_command("verbose=0"), fast),
        "cli tape, jax, verbose=0": (cli.framework_command("backend=jax", "verbose=0"), fast_jax),
        "cli fit, tensorflow, verbose=0": (cli.framework_command("strategy=fit", "verbose=0"), medium),
        "cli fit, jax, verbose=0": (cli.framework_command("backend=jax", "strategy=fit", "verbose=0"), medium),
    }


def default_run_seconds(repeats: int) -> dict[str, float]:
    """Wall time of the default run on JAX, and of a bare `import jax, keras` on JAX."""
    samples: dict[str, list[float]] = {"default run on JAX seconds": [], "import jax, keras seconds": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as scratch:
            samples["default run on JAX seconds"].append(
                cli.seconds([sys.executable, "-m", "framework.train", "backend=jax", f"hydra.run.dir={scratch}/run"])
            )
        samples["import jax, keras seconds"].append(_jax_seconds([sys.executable, "-c", "import jax, keras"]))
    return {name: statistics.median(values) for name, values in samples.items()}


def _jax_seconds(command: list[str]) -> float:
    import time

    start = time.perf_counter()
    subprocess.run(command, env=_JAX_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def in_process(small: bool, repeats: int) -> dict[str, float]:
    # A long run of about a second: compiles cancel. The smoke run skips warm-ups and trains on 300 digits.
    sizes = ("2", "6", "1", "2", "smoke") if small else ("1000", "501000", "2", "12", "full")
    out = subprocess.run([sys.executable, str(_SCRIPT), *sizes, str(repeats)], env=_JAX_ENV, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(small: bool, cli_repeats: int, repeats: int) -> dict[str, float]:
    per_epoch = cli.each_arm_once(cli_arms(small)) if small else cli.marginal_seconds_per_epoch(cli_arms(small), cli_repeats)
    values = {name: 1.0 / value for name, value in per_epoch.items()}
    values.update(default_run_seconds(cli_repeats))
    values.update(in_process(small, repeats))
    return values
