"""The digits CNN (conv layers, 85k parameters; a 320-example subset, 2 epochs) trains to one
device's loss and weights on 2 virtual devices in one process (data_parallel, model_parallel) and
on 2 processes (data_parallel through framework.launch), under both loops (backend=jax).

Measured: within 2.4e-7 everywhere (XLA sums the split batch and the split kernels in another
order than one device does, which float32 shows only in the last bits).
"""

from __future__ import annotations

import importlib.util

import pytest
from helpers.distributed_runs import assert_same, launch, summary, trained

pytestmark = [
    pytest.mark.slow,  # each case starts one or two Python processes with JAX
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="the digits need the data extra"),
]

# 224 training, 32 validation, 64 test examples in batches of 64: every batch splits over 2 devices.
DIGITS = ("+experiment=digits_cnn", "data.num_examples=320", "epochs=2", "verbose=0", "logger=none")


@pytest.fixture(scope="module")
def one_device(tmp_path_factory) -> dict:
    return trained(tmp_path_factory.mktemp("one") / "run", *DIGITS, "strategy=tape")


@pytest.mark.parametrize("strategy", ["tape", "fit"])
@pytest.mark.parametrize("distribution", ["data_parallel", "model_parallel"])
def test_two_devices_in_one_process_train_the_digits_cnn_as_one_device(tmp_path, one_device, distribution, strategy):
    result = trained(tmp_path / "run", *DIGITS, f"strategy={strategy}", f"distribution={distribution}", "distribution.cpu_replicas=2")
    assert_same(result, one_device)
    assert result["metrics"]["val_accuracy"] == one_device["metrics"]["val_accuracy"]


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_two_processes_train_the_digits_cnn_as_one_device(tmp_path, one_device, strategy):
    out = launch("--workers", "2", "backend=jax", *DIGITS, f"strategy={strategy}", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "2 device(s) over 2 process(es)" in out.stdout
    assert_same(summary(tmp_path / "run"), one_device)
