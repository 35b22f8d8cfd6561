"""distribution=data_parallel (backend=jax): 2 virtual CPU devices in one process, and 2 processes
through framework.launch, give the single-device run's numbers; only the chief writes.

Keras loads one backend per process, so every run here is a process of its own.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys

import pytest
from helpers.distributed_runs import SINE_MLP, assert_same, launch, summary, trained
from helpers.runs import run_cli

pytestmark = [
    pytest.mark.slow,  # each test starts several Python processes with JAX
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed"),
]

TUTORIAL = ("verbose=0",)  # the default experiment: the linear tutorial, full batch


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    """experiment -> its single-device result (the hand-written loop; fit agrees with it to 1e-5, test_jax_backend)."""
    results = {}

    def result(experiment: tuple[str, ...]) -> dict:
        if experiment not in results:
            results[experiment] = trained(tmp_path_factory.mktemp("one") / "run", *experiment, "strategy=tape", "logger=none")
        return results[experiment]

    return result


@pytest.mark.parametrize("experiment", [TUTORIAL, SINE_MLP], ids=["tutorial", "sine_mlp"])
@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_two_devices_in_one_process_train_as_one_device(tmp_path, one_device, strategy, experiment):
    two = trained(tmp_path / "two", *experiment, f"strategy={strategy}", "logger=none",
                   "distribution=data_parallel", "distribution.cpu_replicas=2")
    assert_same(two, one_device(experiment))
    log = (tmp_path / "two" / "train.log").read_text()
    assert "Distribution: DataParallel, 2 device(s) over 1 process(es)" in log
    assert "Model variables live on: cpu:0, cpu:1" in log  # replicated on both devices


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_validation_set_on_two_devices_gives_the_one_device_values(tmp_path, one_device, strategy):
    experiment = (*SINE_MLP, "+validation_sets.fresh={seed: 7, num_examples: 32}")
    two = trained(tmp_path / "two", *experiment, f"strategy={strategy}", "logger=none",
                   "distribution=data_parallel", "distribution.cpu_replicas=2")
    assert "val_fresh_mae" in two["metrics"]
    assert_same(two, one_device(experiment))


def test_a_validation_set_whose_last_batch_does_not_split_over_the_devices_is_one_clear_error(tmp_path):
    out = run_cli("backend=jax", "distribution=data_parallel", "distribution.cpu_replicas=2", *SINE_MLP,
                  "+validation_sets.fresh={seed: 7, num_examples: 33}", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 2, out.stderr[-3000:]
    assert (
        "Error: distribution=data_parallel splits every batch evenly over its 2 devices, but the last batch of "
        "validation_sets.fresh holds 1 examples (33 examples in batches of 16, data.batch_size)."
    ) in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_two_processes_train_as_one_device_and_only_the_chief_writes(tmp_path, one_device, strategy):
    reference = one_device(SINE_MLP)
    run_dir = tmp_path / "run"
    out = launch("--workers", "2", "backend=jax", "distribution=data_parallel", *SINE_MLP, f"strategy={strategy}",
                  "logger=tensorboard", f"hydra.run.dir={run_dir}")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "[worker 0] Distribution: DataParallel, 2 device(s) over 2 process(es); this is process 0 (chief" in out.stdout
    assert_same(summary(run_dir), reference)
    # Events files end in .<pid>.<n> (and a suffix: .v2 from tf.summary, .report): every one is the chief's.
    events = [path for path in (run_dir / "tensorboard").rglob("events.out.tfevents.*")]
    writers = {re.search(r"\.(\d+)\.\d+(\.v2|\.report)?$", path.name).group(1) for path in events}
    assert len(writers) == 1, writers
    assert "this is process 1" not in (run_dir / "train.log").read_text()  # worker 1 logged elsewhere
    assert [path.name for path in tmp_path.iterdir()] == ["run"]  # and wrote nothing beside


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_two_processes_each_evaluate_their_share_of_a_validation_set(tmp_path, one_device, strategy):
    experiment = (*SINE_MLP, "+validation_sets.fresh={seed: 7, num_examples: 32}")
    out = launch("--workers", "2", "backend=jax", "distribution=data_parallel", *experiment, f"strategy={strategy}",
                  "logger=none", f"hydra.run.dir={tmp_path / 'run'}")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert_same(summary(tmp_path / "run"), one_device(experiment))


def test_a_process_that_cannot_reach_the_coordinator_fails_within_the_join_timeout(tmp_path):
    env = {
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": "127.0.0.1:9",  # the discard port: nobody listens
        "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
        "KERAS_DISTRIBUTION_PROCESS_ID": "1",
    }
    out = run_cli("backend=jax", "distribution=data_parallel", "distribution.join_timeout=2", f"hydra.run.dir={tmp_path / 'run'}",
                  cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 2, out.stderr[-3000:]
    assert re.search(
        r"^Error: distribution=data_parallel: process 1 of 2 could not reach the coordinator at 127.0.0.1:9 within "
        r"distribution.join_timeout=2 s", out.stderr, re.MULTILINE), out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()


def test_a_batch_that_does_not_split_over_the_devices_is_one_clear_error(tmp_path):
    out = run_cli("backend=jax", "distribution=data_parallel", "distribution.cpu_replicas=2", *SINE_MLP, "data.num_examples=99",
                  f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 2, out.stderr[-3000:]
    assert (
        "Error: distribution=data_parallel splits every batch evenly over its 2 devices, but the last training batch holds "
        "15 examples (79 training examples in batches of 16). Use a data.batch_size divisible by 2"
    ) in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()


def test_two_processes_killed_with_sigkill_resume_to_the_uninterrupted_result(tmp_path):
    overrides = (*(o for o in SINE_MLP if not o.startswith(("epochs=", "verbose="))), "epochs=60", "verbose=2",
                 "strategy=fit", "logger=none", "checkpoint.every_n_epochs=1")
    uninterrupted = trained(tmp_path / "uninterrupted", *overrides)
    run_dir = tmp_path / "run"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "framework.launch", "--workers", "2", "backend=jax", *overrides, f"hydra.run.dir={run_dir}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    pids = [launcher.pid]
    for line in launcher.stdout:
        if line.startswith("[launch] worker "):
            pids.append(int(line.split()[4].rstrip(",")))
        if line.startswith("[worker 0] Epoch  2:"):
            break
    for pid in pids:  # the whole job, at once
        os.kill(pid, signal.SIGKILL)
    launcher.communicate(timeout=30)
    done = max(int(path.stem.split("-")[1]) for path in (run_dir / "checkpoints").glob("ckpt-*.npz"))
    assert 2 <= done < 60, done  # the checkpoint of epoch 2 may or may not be written when the kill comes
    out = launch("--workers", "2", f"resume={run_dir}")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"[worker 0] Epoch {done:2d}:" in out.stdout and f"[worker 0] Epoch {done - 1:2d}:" not in out.stdout
    assert_same(summary(run_dir), uninterrupted)


def test_two_slurm_tasks_train_as_one_device(tmp_path, one_device):
    """What srun gives each task of a 2-task step on one node, without SLURM: the processes join from
    SLURM's variables alone (distribution.cluster=slurm) and train as one device."""
    from framework.distribution.local_workers import free_ports

    reference = one_device(SINE_MLP)
    port = free_ports(1)[0]
    slurm = {"SLURM_JOB_ID": "4242", "SLURM_STEP_NODELIST": "localhost", "SLURM_JOB_NODELIST": "localhost",
             "SLURM_NTASKS": "2", "SLURM_TASKS_PER_NODE": "2", "SLURM_STEP_NUM_NODES": "1"}
    tasks = []
    for task in range(2):
        command = [sys.executable, "-m", "framework.train", "backend=jax", "distribution=data_parallel", "distribution.cluster=slurm",
                   f"distribution.port={port}", *SINE_MLP, "strategy=tape", "logger=none", f"hydra.run.dir={tmp_path / f'task{task}'}"]
        env = {**os.environ, **slurm, "SLURM_PROCID": str(task), "SLURM_LOCALID": str(task), "TF_CPP_MIN_LOG_LEVEL": "2"}
        tasks.append(subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [task.communicate(timeout=300)[0] for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0], "\n".join(output[-3000:] for output in outputs)
    log = (tmp_path / "task0" / "train.log").read_text()
    assert "Distribution: DataParallel, 2 device(s) over 2 process(es); this is process 0 (chief" in log
    assert_same(summary(tmp_path / "task0"), reference)
    assert not (tmp_path / "task1" / "summary.json").exists()  # task 1 wrote only Hydra's own files
