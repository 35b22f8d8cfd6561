"""distribution=model_parallel (backend=jax): variables laid out over 2 virtual CPU devices give the
single-device run's numbers, under both loops, with the default layouts and a layout map from the
command line. Bad meshes and layout maps: tests/test_bad_inputs.py.
"""

from __future__ import annotations

import importlib.util

import pytest
from helpers.distributed_runs import SINE_MLP, assert_same, trained

pytestmark = [
    pytest.mark.slow,  # each test starts a Python process with JAX
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed"),
]

MODEL_PARALLEL = ("distribution=model_parallel", "distribution.cpu_replicas=2", "logger=none")


@pytest.fixture(scope="module")
def one_device(tmp_path_factory) -> dict:
    return trained(tmp_path_factory.mktemp("one") / "run", *SINE_MLP, "strategy=tape", "logger=none")


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_the_default_layouts_split_dense_kernels_and_train_as_one_device(tmp_path, one_device, strategy):
    assert_same(trained(tmp_path / "run", *SINE_MLP, *MODEL_PARALLEL, f"strategy={strategy}"), one_device)
    log = (tmp_path / "run" / "train.log").read_text()
    assert "Distribution: ModelParallel, 2 device(s) in a mesh of batch=1 x model=2" in log
    assert "sequential/dense/kernel [1, 8] split (None, 'model'); sequential/dense/bias [8] replicated" in log
    assert "sequential/dense_1/kernel [8, 1] replicated" in log  # one output unit does not split over 2 devices


def test_a_layout_map_from_the_command_line_lays_out_what_it_names(tmp_path, one_device):
    layout_map = "distribution.layout_map={.*dense/kernel: [null, model], .*dense/bias: [model]}"
    assert_same(trained(tmp_path / "run", *SINE_MLP, *MODEL_PARALLEL, layout_map, "strategy=tape"), one_device)
    log = (tmp_path / "run" / "train.log").read_text()
    assert "sequential/dense/kernel [1, 8] split (None, 'model'); sequential/dense/bias [8] split ('model',)" in log
    assert "sequential/dense_1/kernel [8, 1] replicated" in log  # the map names dense/, not dense_1/


def test_a_mesh_split_along_the_batch_splits_every_batch(tmp_path, one_device):
    result = trained(tmp_path / "run", *SINE_MLP, *MODEL_PARALLEL, "distribution.mesh_shape=[2,1]", "strategy=fit")
    assert_same(result, one_device)
    assert "mesh of batch=2 x model=1" in (tmp_path / "run" / "train.log").read_text()
