"""Benchmarks of whole processes: start-up, memory, time to the first step."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


# Runs the command given and prints its peak RSS (KiB). A process started straight from the
# benchmark would not do: Linux keeps a process's peak across exec, so a child forked from a
# benchmark holding gigabytes reports the benchmark's peak (every row read the same).
_PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mib(*args: str) -> float:
    """Peak resident memory of `python -m framework.train ARGS`, from the kernel's own accounting,
    measured by a small launcher process of its own."""
    with tempfile.TemporaryDirectory() as run_dir:
        command = [sys.executable, "-m", "framework.train", *args, f"hydra.run.dir={run_dir}"]
        process = subprocess.run([sys.executable, "-c", _PEAK_RSS, *command], env=_ENV, capture_output=True, text=True)
        if process.returncode != 0:
            raise RuntimeError(f"training failed: {process.stderr[-2000:]}")
    return int(process.stdout.split()[-1]) / 1024  # Linux reports KiB


def seconds_to_run(*command: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def cfg_job_seconds() -> float:
    return seconds_to_run(sys.executable, "-m", "framework.train", "--cfg", "job")


def imports_tensorflow_for_cfg_job() -> bool:
    probe = (
        "import sys, runpy; sys.argv = ['framework.train', '--cfg', 'job'];\n"
        "try:\n    runpy.run_module('framework.train', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('TF_LOADED=%s' % ('tensorflow' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=_ENV, capture_output=True, text=True, check=True)
    return "TF_LOADED=True" in out.stderr


def import_tensorflow_seconds() -> float:
    return seconds_to_run(sys.executable, "-c", "import tensorflow")


def first_step_seconds() -> float:
    """From starting `python -m framework.train` to the first epoch's line on its stdout."""
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "framework.train", "epochs=1", "verbose=2", f"hydra.run.dir={run_dir}"],
            env=_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        elapsed = None
        for line in process.stdout:
            if line.startswith("Epoch  0:") and elapsed is None:
                elapsed = time.perf_counter() - start
        process.wait()
    if elapsed is None:
        raise RuntimeError("the run printed no epoch line")
    return elapsed
