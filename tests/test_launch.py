"""framework.launch: N local workers under MultiWorkerMirroredStrategy, failing together."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from helpers.chatter import C_CHATTER, chattering

pytestmark = pytest.mark.slow  # each test starts several Python processes with TensorFlow


def _launch(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "framework.launch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Each worker's TensorFlow writes a start-up line from C (tests/helpers/chatter_site).
        env=chattering({**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}),
        **kwargs,
    )


def test_two_workers_reproduce_the_single_device_run_and_only_the_chief_writes(tmp_path, train):
    run_dir = tmp_path / "run"
    launcher = _launch("--workers", "2", "+experiment=seed_linear", f"hydra.run.dir={run_dir}")
    output, _ = launcher.communicate(timeout=240)
    assert launcher.returncode == 0, output[-3000:]
    assert "[worker 0] Epoch  9: W=3.34 b=1.68, loss=1.23289" in output
    # Worker 1's epoch lines and summary repeat the chief's: its log holds them, the console only its errors.
    assert "[worker 1]" not in output and C_CHATTER not in output, output[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    single = train("+experiment=seed_linear", "logger=none")
    for path, value in single.variables.items():
        assert summary["variables"][path] == pytest.approx(value, abs=1e-4)
    # Events files end in .<pid>.<n>.v2 (the end-of-run report's in .<pid>.<n>.report): every one of them is the chief's.
    writers = {re.search(r"\.(\d+)\.\d+\.(v2|report)$", path.name).group(1) for path in (run_dir / "tensorboard").iterdir()}
    assert len(writers) == 1
    assert "worker 1 of 2" not in (run_dir / "train.log").read_text()  # worker 1 logged elsewhere


def test_a_killed_worker_stops_the_others_and_fails_the_launch(tmp_path):
    launcher = _launch(
        "--workers", "2", "+experiment=seed_linear", "epochs=100000000", "logger=none", "verbose=2",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    pids = {}
    for line in launcher.stdout:  # wait until both train: the chief ends an epoch only with worker 1
        if line.startswith("[launch] worker "):
            index, pid = line.split()[2].rstrip(":"), int(line.split()[4].rstrip(","))
            pids[index] = pid
        if line.startswith("[worker 0] Epoch  0:"):
            break
    killed_at = time.monotonic()
    os.kill(pids["1"], signal.SIGKILL)
    output, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 128 + signal.SIGKILL
    assert time.monotonic() - killed_at < 15
    assert "[launch] worker 1 failed (killed by SIGKILL): stopping the others" in output
    with pytest.raises(ProcessLookupError):  # worker 0 is gone too
        os.kill(pids["0"], 0)


def test_a_worker_error_fails_the_launch_with_its_status_and_message(tmp_path):
    launcher = _launch("--workers", "2", "data.num_exampels=3", f"hydra.run.dir={tmp_path / 'run'}")
    output, _ = launcher.communicate(timeout=120)
    assert launcher.returncode == 2
    assert "Did you mean data.num_examples?" in output
    assert "[worker 0] Error: data.num_exampels=3" in output or "[worker 1] Error: data.num_exampels=3" in output


def test_bad_launcher_arguments_are_clear_errors():
    for args, expected in [
        (("--workers", "0"), "argument --workers: expected a positive integer. Received: '0'"),
        (("--workers", "2", "-m", "seed=1,2"), "-m: a sweep cannot be launched as one multi-worker run"),
        (("--workers", "2", "backend=jax", "distribution=none"),
         "distribution=none: workers on backend=jax train under distribution=data_parallel; drop the override."),
    ]:
        completed = subprocess.run([sys.executable, "-m", "framework.launch", *args], capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2
        assert expected in completed.stderr
