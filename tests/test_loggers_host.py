"""Loggers fed from the host (write_step, write_epoch), as loops without TensorFlow feed them:
the same records as the TensorFlow loops write in their graph, read back with TensorBoard's
own reader, each logger's cadence honoured, and framework.loggers importable with no TensorFlow."""

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.plugin_event_accumulator import (
    EventAccumulator,
)
from tensorboard.util import tensor_util

from framework.backends.tensorflow.graph_records import graph_records
from framework.loggers import (
    Cadence,
    CsvLogger,
    FanOutLogger,
    LoggerContext,
    TensorBoardLogger,
)
from framework.run_directory import RunDirectory

EVERY_STEP = Cadence(every_n_epochs=1, every_n_steps=1)
# (step, epoch, logs, learning rate) of the records written in both ways.
RECORDS = [(4, 0, {"loss": 0.75, "val_loss": 0.8}, 0.1), (8, 1, {"loss": 0.5, "val_loss": 0.625}, 0.05)]


def _model() -> keras.Model:
    """A scalar variable (written as a scalar) and tensor ones (as histograms)."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1, use_bias=False)])
    model.add_weight(shape=(), initializer="ones", name="scale")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def _variables_at(model: keras.Model, epoch: int) -> list[np.ndarray]:
    """Trainable values that differ per epoch, spread enough to fill several buckets."""
    rng = np.random.default_rng(epoch)
    return [rng.normal(epoch, 1 + epoch, size=v.shape).astype(np.float32) for v in model.trainable_variables]


def _read(log_dir: Path) -> dict[str, tuple[str, list[int], list[np.ndarray]]]:
    """Every tag: (its plugin, its steps, its tensors), with TensorBoard's server-side reader."""
    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    accumulator.Reload()
    read = {}
    for tag in accumulator.Tags()["tensors"]:
        events = sorted(accumulator.Tensors(tag), key=lambda event: event.step)
        plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        read[tag] = (plugin, [e.step for e in events], [tensor_util.make_ndarray(e.tensor_proto) for e in events])
    return read


def _write_in_graph(model: keras.Model, log_dir: Path) -> None:
    logger = TensorBoardLogger(LoggerContext(RunDirectory(log_dir), EVERY_STEP), histograms=True)
    records = graph_records(logger)  # before open, as the loops build it
    logger.open(model, epochs=2)

    @tf.function(autograph=False)
    def write(step, epoch, logs, learning_rate, variables):
        records.log_step(step, logs["loss"])
        records.log_epoch(step, epoch, logs, learning_rate, variables)

    for step, epoch, logs, learning_rate in RECORDS:
        write(
            tf.constant(step, tf.int64), tf.constant(epoch, tf.int64),
            {name: tf.constant(value) for name, value in logs.items()}, tf.constant(learning_rate),
            [tf.constant(value) for value in _variables_at(model, epoch)],
        )
    logger.close()


def _write_on_host(model: keras.Model, log_dir: Path) -> None:
    logger = TensorBoardLogger(LoggerContext(RunDirectory(log_dir), EVERY_STEP), histograms=True)
    logger.open(model, epochs=2)
    for step, epoch, logs, learning_rate in RECORDS:
        logger.write_step(step, logs["loss"])
        logger.write_epoch(step, epoch, {**logs, "learning_rate": learning_rate}, _variables_at(model, epoch))
    logger.close()


def test_host_path_writes_the_tags_steps_and_values_the_graph_path_writes(tmp_path):
    model = _model()
    _write_in_graph(model, tmp_path / "graph")
    _write_on_host(model, tmp_path / "host")
    graph, host = _read(tmp_path / "graph" / "tensorboard"), _read(tmp_path / "host" / "tensorboard")

    assert sorted(host) == sorted(graph)
    assert {"step/loss", "epoch/loss", "epoch/val_loss", "epoch/learning_rate", "variables/sequential/scale"} <= set(host)
    for tag, (plugin, steps, tensors) in graph.items():
        assert host[tag][:2] == (plugin, steps), tag
        assert len(host[tag][2]) == len(tensors)
        for written_on_host, written_in_graph in zip(host[tag][2], tensors):
            np.testing.assert_allclose(written_on_host, written_in_graph, rtol=1e-6, err_msg=tag)
    kernels = [tag for tag, (plugin, *_) in host.items() if plugin == "histograms"]
    assert len(kernels) == 3  # two kernels and a bias; before training and after each epoch
    assert all(host[tag][1] == [0, 4, 8] and host[tag][2][1].shape[0] > 1 for tag in kernels)
    # One events file a process either way: on TensorFlow the logger's own records go through tf.summary too.
    for way in ("graph", "host"):
        assert len(list((tmp_path / way / "tensorboard").glob("*tfevents*"))) == 1


def test_fan_out_host_path_gives_each_logger_the_records_its_cadence_takes(tmp_path):
    model = _model()
    run_dir = RunDirectory(tmp_path)
    cadence = Cadence(every_n_epochs=1, every_n_steps=2)
    steps_only = TensorBoardLogger(
        LoggerContext(RunDirectory(tmp_path / "steps"), Cadence(every_n_steps=2)), histograms=False
    )
    loggers = [
        TensorBoardLogger(LoggerContext(run_dir, cadence), histograms=False), CsvLogger(LoggerContext(run_dir, cadence)),
        steps_only,
    ]
    fan_out = FanOutLogger(loggers)
    assert (fan_out.epoch_loggers, fan_out.step_loggers) == (loggers[:2], [loggers[0], loggers[2]])
    fan_out.open(model, epochs=2)
    for step, epoch, logs, learning_rate in RECORDS:
        fan_out.write_step(step, logs["loss"])
        fan_out.write_epoch(step, epoch, {**logs, "learning_rate": learning_rate}, _variables_at(model, epoch))
    fan_out.close()

    events = _read(run_dir.events)
    assert events["step/loss"][1] == events["epoch/loss"][1] == [4, 8]
    np.testing.assert_allclose(np.ravel(events["epoch/learning_rate"][2]), [0.1, 0.05])
    with run_dir.metrics_csv.open(newline="") as file:  # the CSV logger takes epochs only
        rows = list(csv.DictReader(file))
    assert [(row["epoch"], float(row["loss"]), float(row["learning_rate"])) for row in rows] == [
        ("0", 0.75, 0.1), ("1", 0.5, 0.05),
    ]
    only_steps = _read(steps_only.log_dir)
    assert only_steps["step/loss"][1] == [4, 8] and not any(tag.startswith("epoch/") for tag in only_steps)


# Run with TensorFlow unimportable: what a process on another backend sees. Keras's numpy
# backend needs JAX, which a TensorFlow install lacks, so the model is its plain values.
_WITHOUT_TENSORFLOW = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    sys.modules["tensorflow"] = None
    import numpy as np
    import framework.loggers
    modules = sorted(m.name for m in pkgutil.iter_modules(framework.loggers.__path__))
    for name in modules:
        importlib.import_module(f"framework.loggers.{name}")
    from framework.loggers import Cadence, LoggerContext, TensorBoardLogger
    from framework.run_directory import RunDirectory

    class Variable:  # what the logger reads of a Keras variable
        def __init__(self, path, value):
            self.path, self.value, self.shape = path, value, value.shape

        def __array__(self, dtype=None, copy=None):
            return self.value

    class Model:
        class optimizer:
            iterations = np.int64(0)
        trainable_variables = [Variable("dense/kernel", np.arange(12.0).reshape(3, 4)), Variable("scale", np.ones(()))]

    logger = TensorBoardLogger(LoggerContext(RunDirectory(sys.argv[1]), Cadence(1, 1)), histograms=True)
    logger.open(Model, epochs=1)
    logger.write_step(3, 0.5)
    logger.write_epoch(3, 0, {"loss": 0.5, "learning_rate": 0.01}, [np.full((3, 4), 2.0), np.full((), 3.0)])
    logger.close()
    print(json.dumps({"modules": modules, "tensorflow": sys.modules["tensorflow"] is not None}))
""")


def test_loggers_import_and_write_tensorboard_events_without_tensorflow(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TENSORFLOW, str(tmp_path)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "KERAS_BACKEND": "numpy"},
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.splitlines()[-1])
    assert report["tensorflow"] is False
    expected = {"base", "fan_out", "python_side", "tensorboard", "csv_file", "mlflow_tracking", "wandb_tracking"}
    assert expected <= set(report["modules"])
    events = _read(tmp_path / "tensorboard")
    assert events["step/loss"][1] == events["epoch/loss"][1] == [3]
    assert events["variables/scale"][1] == [0, 3]
    np.testing.assert_allclose(np.ravel(events["variables/scale"][2]), [1.0, 3.0])
    assert events["variables/dense/kernel"][0] == "histograms" and events["variables/dense/kernel"][1] == [0, 3]
    assert events["variables/dense/kernel"][2][0][:, 2].sum() == 12  # every value of the kernel counted once


def test_graph_records_of_an_opened_tensorboard_logger_are_refused(tmp_path):
    """Its events are open with the tensorboard package's writer: tf.summary would start a second file."""
    logger = TensorBoardLogger(LoggerContext(RunDirectory(tmp_path), EVERY_STEP), histograms=False)
    logger.open(_model(), epochs=1)
    with pytest.raises(RuntimeError, match="before open"):
        graph_records(logger)
    logger.close()
