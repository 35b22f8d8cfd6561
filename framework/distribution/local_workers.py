"""N training workers on this machine: wired together, prefixed output, fail together.

Each worker is `python -m framework.train <overrides> distribution=multi_worker`
with a TF_CONFIG naming every worker at 127.0.0.1 on a free port; with
`backend=jax` it is `distribution=data_parallel` with the job's addresses, size
and the worker's id in the variables keras.distribution reads
(framework.distribution.data_parallel). Worker 0 is
the chief and writes the run directory; the others get a scratch Hydra
directory, deleted at the end. The console shows the chief's output and only
the errors and warnings of the others (their standard error): their epoch
lines and summaries repeat the chief's. Synchronous training cannot go on without a
worker: when one dies the others would wait in their next all-reduce forever,
so they are stopped and the launcher exits with the failed worker's status.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from framework.distribution.base import PRIVATE_RUN_DIR
from framework.distribution.data_parallel import (
    JOB_ADDRESSES,
    NUM_PROCESSES,
    PROCESS_ID,
)
from framework.distribution.tf_config import local_tf_config

log = logging.getLogger("framework.launch")

# How long a stopped worker may take to exit on SIGTERM before it is killed.
STOP_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.1


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports nobody listens on now (the OS picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:  # all held open at once, so the OS hands out distinct ports
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class LocalCluster:
    """Running worker processes and their output relays."""

    processes: list[subprocess.Popen] = field(default_factory=list)
    relays: list[threading.Thread] = field(default_factory=list)

    def first_failure(self) -> int | None:
        """The index of a worker that exited with a non-zero status, if any."""
        for index, process in enumerate(self.processes):
            if process.poll() not in (None, 0):
                return index
        return None

    def all_succeeded(self) -> bool:
        return all(process.poll() == 0 for process in self.processes)

    def stop(self) -> None:
        """SIGTERM to every worker still running, SIGKILL after STOP_GRACE_SECONDS."""
        running = [process for process in self.processes if process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for relay in self.relays:
            relay.join(timeout=STOP_GRACE_SECONDS)


def launch_local_workers(num_workers: int, overrides: Sequence[str], out: TextIO = sys.stdout) -> int:
    """Trains with `num_workers` local workers; returns the exit status (0: all succeeded).

    Args:
        num_workers: Worker processes to start.
        overrides: Hydra overrides for every worker, as for framework.train.
        out: Where the workers' prefixed output lines go.
    """
    addresses = [f"127.0.0.1:{port}" for port in free_ports(num_workers)]
    cluster = LocalCluster()
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="framework-launch-") as scratch:
        try:
            commands = [_worker_command(index, addresses, overrides, scratch) for index in range(num_workers)]
            for index, (command, env) in enumerate(commands):
                process = _start_worker(index, command, env)
                cluster.processes.append(process)
                _write(out, lock, f"[launch] worker {index}: pid {process.pid}, {addresses[index]}\n")
                shown = process.stdout if index == 0 else process.stderr
                relay = threading.Thread(target=_relay, args=(shown, f"[worker {index}] ", out, lock), daemon=True)
                relay.start()
                cluster.relays.append(relay)
            return _wait(cluster, out, lock)
        except KeyboardInterrupt:
            _write(out, lock, "[launch] interrupted: stopping the workers\n")
            cluster.stop()
            return 128 + signal.SIGINT


# backend -> the distribution its workers train under.
DISTRIBUTION_OF_BACKEND = {"tensorflow": "multi_worker", "jax": "data_parallel"}


def backend_of(overrides: Sequence[str]) -> str:
    """The backend the overrides choose (the last `backend=` wins; with `resume=<dir>`, the resumed
    run's own overrides come first); tensorflow, the default, if none."""
    resumed = _resumed_run(overrides)
    if resumed is not None:
        overrides = [*_saved_overrides(resumed), *overrides]
    chosen = [override.split("=", 1)[1] for override in overrides if override.lstrip("+").startswith("backend=")]
    return chosen[-1] if chosen else "tensorflow"


def _resumed_run(overrides: Sequence[str]) -> str | None:
    resumed = [override.partition("=")[2] for override in overrides if override.startswith("resume=")]
    return resumed[-1] if resumed else None


def _saved_overrides(run_dir: str) -> list[str]:
    """The command-line overrides a run was started with (unreadable: none; the chief's resume reports why)."""
    from omegaconf import OmegaConf

    from framework.run_directory import RunDirectory

    try:
        return [str(override) for override in OmegaConf.load(RunDirectory(Path(run_dir).expanduser()).saved_overrides)]
    except Exception:  # noqa: BLE001 - any damage is the chief's resume to report
        return []


def _worker_command(index: int, addresses: list[str], overrides: Sequence[str], scratch: str) -> tuple[list[str], dict]:
    """Worker `index`'s command and environment (a resumed run's copies are made here, before any worker starts)."""
    backend = backend_of(overrides)
    distribution = DISTRIBUTION_OF_BACKEND.get(backend, "multi_worker")
    env = {**os.environ, "TF_CONFIG": json.dumps(local_tf_config(addresses, index)), "PYTHONUNBUFFERED": "1"}
    overrides = list(overrides)
    resumed = _resumed_run(overrides)
    if resumed is None and f"distribution={distribution}" not in overrides:
        overrides.append(f"distribution={distribution}")
    if index > 0:  # only the chief writes the run directory, Hydra's own files included
        own = os.path.join(scratch, f"worker-{index}")
        if resumed is not None:  # the worker resumes its own copy of the chief's run, as it was
            shutil.copytree(Path(resumed).expanduser(), own, ignore=shutil.ignore_patterns(".lock"))
            overrides = [f"resume={own}" if override.startswith("resume=") else override for override in overrides]
            env[PRIVATE_RUN_DIR] = str(Path(own).resolve())
        overrides.append(f"hydra.run.dir={own}")
    command = [sys.executable, "-m", "framework.train", *overrides]
    if distribution == "data_parallel":
        env.update({JOB_ADDRESSES: ",".join(addresses), NUM_PROCESSES: str(len(addresses)), PROCESS_ID: str(index)})
    return command, env


def _start_worker(index: int, command: list[str], env: dict) -> subprocess.Popen:
    if index == 0:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait(cluster: LocalCluster, out: TextIO, lock: threading.Lock) -> int:
    while True:
        failed = cluster.first_failure()
        if failed is not None:
            status = cluster.processes[failed].returncode
            _write(out, lock, f"[launch] worker {failed} failed ({_describe(status)}): stopping the others\n")
            cluster.stop()
            return status if status > 0 else 128 - status  # killed by a signal: 128 + its number
        if cluster.all_succeeded():
            for relay in cluster.relays:
                relay.join()
            _write(out, lock, "[launch] all workers finished\n")
            return 0
        time.sleep(_POLL_SECONDS)


def _relay(stream: TextIO, prefix: str, out: TextIO, lock: threading.Lock) -> None:
    for line in stream:
        _write(out, lock, prefix + line)


def _write(out: TextIO, lock: threading.Lock, text: str) -> None:
    with lock:
        out.write(text)
        out.flush()


def _describe(status: int) -> str:
    if status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"
