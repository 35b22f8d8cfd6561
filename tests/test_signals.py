"""Real training processes killed or signalled at checkpoints, then resumed: the
result equals an uninterrupted run's."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from framework.run_directory import RunDirectory

pytestmark = pytest.mark.slow  # each case starts several Python processes

# Slow enough epochs that a signal lands mid-run: ~0.2 s (tape) and ~0.5 s (fit) per epoch.
RUNS = {
    "tape": ("data=sine", "data.num_examples=4000", "data.batch_size=2", "model=sequential", "strategy=tape"),
    "fit": ("data=sine", "data.num_examples=4000", "data.batch_size=8", "model=sequential", "strategy=fit"),
}
COMMON = ("epochs=8", "checkpoint.every_n_epochs=2", "verbose=0")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Each strategy's run trained in one go, in this process."""
    from framework.config import compose
    from framework.run import run

    results = {}
    for strategy, overrides in RUNS.items():
        cfg = compose([*overrides, *COMMON])
        results[strategy] = run(cfg, tmp_path_factory.mktemp(strategy)).variables
    return results


# `python -m framework.train ARGS` as a terminal starts it: with Ctrl-C's default handler, even
# where this test process was started with SIGINT ignored (as a shell starts background jobs),
# which its children would inherit.
_AS_FROM_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = ['framework.train', *sys.argv[1:]]; runpy.run_module('framework.train', run_name='__main__', alter_sys=True)"
)


def _start(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _AS_FROM_A_TERMINAL, *arguments],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Waits until `path` exists (True) or the process ended first (False)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)
    return True


def _ignores_sigint(pid: int) -> bool:
    """Whether the process ignores SIGINT (its SigIgn mask in /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")), 16)
    return bool(mask & (1 << (signal.SIGINT - 1)))


def _assert_same_weights(run_dir: Path, expected: dict) -> None:
    variables = json.loads((run_dir / "summary.json").read_text())["variables"]
    for name, value in expected.items():
        np.testing.assert_allclose(variables[name], value, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("strategy, stop, status", [("tape", signal.SIGTERM, 143), ("fit", signal.SIGINT, 130)])
def test_stop_signal_saves_a_checkpoint_and_exits_with_its_status(tmp_path, reference, strategy, stop, status):
    from helpers.events import read_scalars

    run_dir = tmp_path / "run"
    process = _start(*RUNS[strategy], *COMMON, f"hydra.run.dir={run_dir}")
    assert _wait_for(run_dir / "checkpoints" / "ckpt-2.npz", process)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    last_epoch = int(stderr.split("training stopped after epoch ")[1].split(" ")[0])  # numbered as the epoch lines
    stopped = int(stderr.split(f"training stopped after epoch {last_epoch} (")[1].split(" epochs done")[0])
    assert stopped == last_epoch + 1
    assert 2 <= stopped < 8, stderr
    assert f"Continue with: python -m framework.train resume={run_dir}" in stderr
    assert max(RunDirectory(run_dir).checkpoint_epochs()) == stopped
    assert not (run_dir / "FAILED").exists() and not (run_dir / "summary.json").exists()
    # TensorBoard was flushed up to the stop.
    steps_per_epoch = 4000 * 0.8 // int(RUNS[strategy][2].split("=")[1])
    assert read_scalars(run_dir / "tensorboard")["epoch/loss"][-1][0] == stopped * steps_per_epoch

    resumed = subprocess.run(
        [sys.executable, "-m", "framework.train", f"resume={run_dir}"], capture_output=True, text=True, timeout=180
    )
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_weights(run_dir, reference[strategy])


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_sigkill_at_a_random_moment_at_checkpoints_and_during_the_report_then_resume_equals_the_uninterrupted_run(
    tmp_path, reference, strategy
):
    """Fault injection: SIGKILL at a seeded random moment (start-up or training), right
    after the next checkpoint is written, after the last one, and right after the model is
    saved (during the end-of-run report), with a resume after each; the finished run has
    the uninterrupted weights and every output, and nothing half-written."""
    import random

    draw = random.Random(f"fault-injection-{strategy}")
    run_dir = tmp_path / "run"
    checkpoints = run_dir / "checkpoints"

    def start_or_resume() -> subprocess.Popen:
        # Killed before Hydra recorded the run's config, the run never began: it is started again.
        if (run_dir / ".hydra" / "overrides.yaml").exists():
            return _start(f"resume={run_dir}")
        return _start(*RUNS[strategy], *COMMON, f"hydra.run.dir={run_dir}")

    def kill_when(appeared: Path | None, process: subprocess.Popen) -> subprocess.Popen:
        if appeared is None:
            time.sleep(draw.uniform(2.0, 8.0))  # start-up takes a few seconds, training a few more
            alive = process.poll() is None
        else:
            alive = _wait_for(appeared, process, timeout=180)
        if alive:
            process.send_signal(signal.SIGKILL)
        process.communicate(timeout=120)
        return start_or_resume()

    process = kill_when(None, start_or_resume())
    saved = {path.name for path in checkpoints.glob("ckpt-*.npz")} if checkpoints.exists() else set()
    following = next((f"ckpt-{epoch}.npz" for epoch in (2, 4, 6, 8) if f"ckpt-{epoch}.npz" not in saved), "ckpt-8.npz")
    process = kill_when(checkpoints / following, process)
    process = kill_when(checkpoints / "ckpt-8.npz", process)
    process = kill_when(run_dir / "model.keras", process)  # the end-of-run report is being written
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 0 or "already finished" in stderr, stderr
    _assert_same_weights(run_dir, reference[strategy])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs"] == 8 and set(summary["metrics"]) >= {"loss"}
    assert not (run_dir / "FAILED").exists()
    assert {"predictions.png", "variables.png", "loss.png", "model.keras"} <= {path.name for path in run_dir.iterdir()}
    assert not [path for path in run_dir.rglob("*") if path.name.endswith(".tmp") or path.name.startswith(".partial-")]


def test_ctrl_c_during_start_up_exits_130_without_a_traceback_or_outputs(tmp_path):
    run_dir = tmp_path / "run"
    process = _start(*RUNS["tape"], *COMMON, f"hydra.run.dir={run_dir}")
    assert _wait_for(run_dir / ".hydra" / "config.yaml", process)  # Hydra started the job; TensorFlow loads next
    ignored = _ignores_sigint(process.pid)
    process.send_signal(signal.SIGINT)
    alive = process.poll() is None
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, f"signalled while alive: {alive}, SIGINT ignored: {ignored}\n{stderr}"
    assert "Traceback" not in stderr and "before training began; nothing was trained or saved" in stderr
    assert not (run_dir / "checkpoints").exists() or not list((run_dir / "checkpoints").glob("ckpt-*"))
    assert not (run_dir / "model.keras").exists() and not (run_dir / "summary.json").exists()
