"""distribution= and device=: in-process checks and the mirrored strategy over 2 logical CPUs."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers.events import read_scalars
from helpers.runs import run_cli

TUTORIAL = ("+experiment=seed_linear",)


@pytest.fixture(scope="module")
def single_device_and_one_replica(tmp_path_factory):
    """The tutorial under each training strategy, on one device and under a one-replica MirroredStrategy."""
    from framework.config import compose
    from framework.run import run

    results = {}
    for distribution in ("none", "mirrored"):
        for strategy in ("tape", "fit"):
            cfg = compose([*TUTORIAL, f"strategy={strategy}", f"distribution={distribution}"])
            results[distribution, strategy] = run(cfg, tmp_path_factory.mktemp(f"{distribution}-{strategy}"))
    return results


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_one_replica_mirrored_run_matches_the_single_device_run(single_device_and_one_replica, strategy):
    single = single_device_and_one_replica["none", strategy]
    mirrored = single_device_and_one_replica["mirrored", strategy]
    for path in ("linear/W", "linear/b"):
        assert mirrored.variables[path] == pytest.approx(single.variables[path], abs=1e-6)
    assert mirrored.metrics["loss"] == pytest.approx(single.metrics["loss"], abs=1e-6)
    single_scalars = read_scalars(f"{single.run_dir}/tensorboard")
    mirrored_scalars = read_scalars(f"{mirrored.run_dir}/tensorboard")
    assert set(mirrored_scalars) == set(single_scalars)
    np.testing.assert_allclose(mirrored_scalars["epoch/loss"], single_scalars["epoch/loss"], atol=1e-6)


def test_the_log_says_whether_a_gpu_is_available_and_where_variables_live(train, caplog):
    caplog.set_level("INFO", logger="framework")
    train(*TUTORIAL, "epochs=1", "logger=none", "distribution=mirrored")
    assert "GPU available: no" in caplog.text
    assert "Distribution: MirroredStrategy, 1 replica(s) on /job:localhost/replica:0/task:0/device:CPU:0" in caplog.text
    assert "Model variables live on: /job:localhost/replica:0/task:0/device:CPU:0" in caplog.text


def test_splitting_the_cpu_after_tensorflow_started_is_a_clear_error(train):
    import tensorflow as tf

    from framework.errors import DistributionError

    tf.constant(1.0)  # TensorFlow has started in this process
    with pytest.raises(DistributionError, match=r"cpu_replicas=3: the CPU must be split into 3 logical devices before TensorFlow starts.*fresh process"):
        train(*TUTORIAL, "distribution=mirrored", "distribution.cpu_replicas=3")


def test_multi_worker_without_tf_config_says_how_to_start_workers(train, monkeypatch):
    from framework.errors import DistributionError

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(DistributionError, match=r"needs the TF_CONFIG environment variable.*python -m framework.launch --workers N"):
        train(*TUTORIAL, "distribution=multi_worker")
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(DistributionError, match=r"TF_CONFIG is not a cluster description.*Received: '\{\"cluster\": \{\}\}'"):
        train(*TUTORIAL, "distribution=multi_worker")


def test_fit_under_multi_worker_is_refused_up_front_pointing_to_tape_and_to_jax(train, monkeypatch):
    from framework.errors import ConfigError

    monkeypatch.delenv("TF_CONFIG", raising=False)  # refused before the cluster is even looked at
    with pytest.raises(ConfigError, match=r"strategy=fit cannot run with distribution=multi_worker: Keras 3's model.fit .* Use strategy=tape.*"
                       r"python -m framework.launch --workers N backend=jax distribution=data_parallel"):
        train(*TUTORIAL, "strategy=fit", "distribution=multi_worker")


def test_bad_distribution_and_device_values_are_config_errors(train):
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=r"distribution.cpu_replicas=0 is invalid: input should be greater than or equal to 1"):
        train(*TUTORIAL, "distribution=mirrored", "distribution.cpu_replicas=0")
    with pytest.raises(ConfigError, match=r"device='tpu' is invalid: input should be 'auto', 'cpu' or 'gpu'"):
        train(*TUTORIAL, "device=tpu")


def test_xla_under_a_distribution_is_refused_by_the_tape_strategy(train):
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=r"strategy.jit_compile=true: the tape strategy cannot compile its step with XLA under a tf.distribute strategy"):
        train(*TUTORIAL, "distribution=mirrored", "strategy.jit_compile=true", "logger=none")


def test_device_gpu_without_a_gpu_is_a_clear_error(train):
    import tensorflow as tf

    from framework.errors import DeviceError

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(DeviceError, match=r"device=gpu: TensorFlow sees no GPU on this machine.*device=auto or device=cpu"):
        train(*TUTORIAL, "device=gpu")


# Runs in a fresh process: the CPU is split into 2 logical devices before TensorFlow starts
# (by the first mirrored run); the single-device runs then use the first of them.
_RUNS_IN_ONE_PROCESS = textwrap.dedent(
    """
    import json, sys
    from framework.config import compose
    from framework.errors import FrameworkError
    from framework.run import run

    results = {}
    for name, overrides in json.loads(sys.argv[1]).items():
        cfg = compose(overrides)
        try:
            result = run(cfg, sys.argv[2] + "/" + name)
            results[name] = {"variables": result.variables, "metrics": result.metrics}
        except FrameworkError as error:
            results[name] = {"error": str(error)}
    print(json.dumps(results))
    """
)
# Batches of 300 split evenly; under fit, Keras averages the replicas' mean
# losses, which weighs the examples of an unevenly split batch slightly differently.
MINIBATCHES = ("data.num_examples=1000", "data.batch_size=300", "data.shuffle=true", "data.val_fraction=0.1", "epochs=3")
# Batches of 333 and 233 examples: the tape strategy splits any batch exactly.
ODD_BATCHES = ("data.num_examples=999", "data.batch_size=333", "data.val_fraction=0.1", "epochs=3")


@pytest.mark.slow
def test_two_cpu_replicas_give_the_single_device_weights_under_both_strategies(tmp_path):
    quiet = ("logger=none", "verbose=0")
    two_replicas = ("distribution=mirrored", "distribution.cpu_replicas=2", *quiet)
    presets = {"tutorial": TUTORIAL, "minibatches": (*TUTORIAL, *MINIBATCHES), "odd": (*TUTORIAL, *ODD_BATCHES),
               "sets": (*TUTORIAL, *MINIBATCHES, "+validation_sets.fresh={seed: 7}")}
    runs = {f"{preset}-mirrored-{strategy}": [*overrides, *two_replicas, f"strategy={strategy}"]
            for preset, overrides in presets.items() for strategy in ("tape", "fit")}
    runs.update({f"{preset}-single": [*overrides, *quiet] for preset, overrides in presets.items()})
    completed = subprocess.run(
        [sys.executable, "-c", _RUNS_IN_ONE_PROCESS, json.dumps(runs), str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    for name in ("tutorial-mirrored-tape", "tutorial-mirrored-fit", "minibatches-mirrored-tape",
                 "minibatches-mirrored-fit", "odd-mirrored-tape", "sets-mirrored-tape", "sets-mirrored-fit"):
        single, replicated = results[name.split("-")[0] + "-single"], results[name]
        assert "error" not in replicated, replicated
        for path, value in single["variables"].items():
            assert replicated["variables"][path] == pytest.approx(value, abs=1e-4), (name, path)
        assert set(replicated["metrics"]) == set(single["metrics"])
        assert ("val_fresh_loss" in single["metrics"]) == name.startswith("sets")
        for metric, value in single["metrics"].items():
            assert replicated["metrics"][metric] == pytest.approx(value, abs=1e-4), (name, metric)
    assert results["odd-mirrored-fit"]["error"].startswith(
        "strategy=fit: Keras's model.fit needs the batch to split evenly across the 2 replicas, but a batch holds 333"
    )


@pytest.mark.slow
def test_the_cli_trains_the_tutorial_on_two_cpu_replicas(tmp_path, train):
    completed = run_cli(*TUTORIAL, "distribution=mirrored", "distribution.cpu_replicas=2", f"hydra.run.dir={tmp_path / 'cli'}")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Distribution: MirroredStrategy, 2 replica(s)" in completed.stdout
    assert "device:CPU:0, /job:localhost/replica:0/task:0/device:CPU:1" in completed.stdout  # variables on both
    replicated = json.loads((tmp_path / "cli" / "summary.json").read_text())
    single = train(*TUTORIAL, "logger=none")
    for path, value in single.variables.items():
        assert replicated["variables"][path] == pytest.approx(value, abs=1e-4)
