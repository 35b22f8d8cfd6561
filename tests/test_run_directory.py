"""A run directory belongs to one run: one process at a time (an OS lock that dies
with its process), no new run over another's results, a unique default directory."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from helpers.runs import run_cli

from framework.errors import RunDirectoryError
from framework.run_directory import RunDirectory

_HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from framework.run_directory import RunDirectory
    with RunDirectory(sys.argv[1]).claimed():
        print("locked", flush=True)
        time.sleep(60)
    """
)


def _hold_lock_in_another_process(run_dir):
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_directory_locked_by_another_process_is_refused(tmp_path):
    holder = _hold_lock_in_another_process(tmp_path)
    try:
        with pytest.raises(RunDirectoryError, match=r"another process is training this run right now .*hydra.run.dir=<another dir>"):
            with RunDirectory(tmp_path).claimed():
                pass
    finally:
        holder.kill()
        holder.wait()


def test_a_sigkill_never_leaves_a_stale_lock(tmp_path):
    holder = _hold_lock_in_another_process(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with RunDirectory(tmp_path).claimed():  # the kernel released the dead process's lock
        assert (tmp_path / ".lock").exists()


def test_one_process_may_claim_its_directory_twice(tmp_path):
    with RunDirectory(tmp_path).claimed(), RunDirectory(tmp_path).claimed():
        pass
    holder = _hold_lock_in_another_process(tmp_path)  # and releases it at the end
    holder.kill()
    holder.wait()


def test_the_default_run_directory_is_unique_per_process():
    script = "from framework.config import compose; print(compose(with_hydra=True).hydra.run.dir)"
    names = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip() for _ in range(2)}
    assert len(names) == 2, names
    assert all(name.startswith("outputs/") and "/" not in name.rsplit("/", 1)[1] for name in names)


@pytest.mark.slow
def test_two_processes_started_together_into_one_directory_exactly_one_trains(tmp_path):
    run_dir = tmp_path / "run"
    arguments = [sys.executable, "-m", "framework.train", "+experiment=seed_linear", "epochs=200", "verbose=0", f"hydra.run.dir={run_dir}"]
    processes = [subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(process.wait(timeout=300), process.stderr.read()) for process in processes]
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [0, 2], outcomes
    loser = next(stderr for status, stderr in outcomes if status == 2)
    assert "Traceback" not in loser
    assert "another process is training this run right now" in loser or "already holds another run" in loser
    assert not (run_dir / "FAILED").exists() and (run_dir / "summary.json").exists()


@pytest.mark.slow
def test_a_new_run_into_a_finished_runs_directory_leaves_it_untouched(tmp_path):
    run_dir = tmp_path / "run"
    assert run_cli("+experiment=seed_linear", "epochs=2", "verbose=0", f"hydra.run.dir={run_dir}").returncode == 0
    before = {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()}
    out = run_cli("+experiment=seed_linear", "epochs=3", "model=my_dense", f"hydra.run.dir={run_dir}")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"Error: hydra.run.dir={run_dir}: this directory already holds another run" in out.stderr
    assert f"resume={run_dir}" in out.stderr
    assert {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()} == before  # .hydra/ and train.log too
