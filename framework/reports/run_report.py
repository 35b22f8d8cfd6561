"""The end-of-run report: plots as PNG files and TensorBoard images, and HParams.

Curves come from the run's own TensorBoard events, read back with
TensorBoard's reader, so the pictures show exactly what TensorBoard shows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from framework.reports.events import Curve, read_scalar_curves
from framework.reports.hparams import write_hparams
from framework.result import RunResult
from framework.run_directory import RunDirectory

# Facts for train.log that the console leaves out (configs/hydra/job_logging/framework.yaml).
details = logging.getLogger("framework.details")

# Examples drawn in the data-and-predictions plot.
PLOTTED_EXAMPLES = 1000
# The plots drawn from the run's events (the predictions plot needs only the model).
_FROM_EVENTS = ("variables", "loss")


def write_run_report(
    config: Mapping[str, Any], result: RunResult, data: Any, model: keras.Model, run_dir: RunDirectory, plots_wanted: bool,
    from_logits: bool = False,
) -> None:
    """Saves the run's plots as PNG files in `run_dir`; where the run logged to
    TensorBoard, also logs them as images (`plots/<name>`) with the config as HParams.

    Args:
        config: The run's composed config as plain Python.
        result: The finished run (its global step).
        data: The run's data source; `data.sample(n)` gives examples to plot,
            `data.true_variables` the values variables should reach.
        model: The trained model.
        run_dir: Where the run writes.
        plots_wanted: False skips the plots (HParams are still written).
        from_logits: The model's class scores are logits (the loss's from_logits), for the confusion matrix.
    """
    log_dir = run_dir.events
    logged = log_dir.is_dir()
    pictures = _pictures(read_scalar_curves(log_dir) if logged else {}, data, model, from_logits) if plots_wanted else {}
    for name, png in pictures.items():
        _write_whole(run_dir.plot(name), png)
    if not logged:
        if plots_wanted:
            details.info(
                "No %s plot: they are drawn from the run's TensorBoard events, and this run's logger "
                "writes none (logger=tensorboard does).", " or ".join(_FROM_EVENTS)
            )
        return
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default(step=result.global_step):
        write_hparams({**config, "parameters": result.parameters})
        for name, value in result.metrics.items():
            if name.startswith("test_"):  # evaluated once, after training
                tf.summary.scalar(f"test/{name.removeprefix('test_')}", value)
        for name, png in pictures.items():
            tf.summary.image(f"plots/{name}", tf.image.decode_png(png)[tf.newaxis])
    writer.close()
    if pictures:
        details.info("Plots: %s", ", ".join(str(run_dir.plot(name)) for name in pictures))


def _write_whole(path: Path, content: bytes) -> None:
    """Writes `content` to a temporary name and renames it, so a PNG appears whole or not at all."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _pictures(curves: Mapping[str, Curve], data: Any, model: keras.Model, from_logits: bool) -> dict[str, bytes]:
    # Here, not at the top: matplotlib loads only in a process that draws (plots=false, predict and failed runs skip it).
    from framework.reports import plots

    pictures = {}
    x, y = data.sample(PLOTTED_EXAMPLES)
    if x.shape[1:] == (1,) and y.shape[1:] == (1,):
        predictions = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=np.float32)
        pictures["predictions"] = plots.fit_plot(x, y, predictions)
    if data.class_names is not None:
        counts, where = _confusion_counts(data, model, from_logits)
        pictures["confusion"] = plots.confusion_plot(counts, data.class_names, where)
    if "epoch/loss" not in curves:
        return pictures
    epoch_ends = curves["epoch/loss"].steps
    trajectories = {
        tag.removeprefix("variables/"): (curve.epochs(epoch_ends), curve.values)
        for tag, curve in curves.items()
        if tag.startswith("variables/")
    }
    if trajectories:
        pictures["variables"] = plots.variables_plot(trajectories, _true_values(data.true_variables, trajectories))
    losses = {
        tag.removeprefix("epoch/"): (curve.epochs(epoch_ends), curve.values)
        for tag, curve in curves.items()
        if tag in ("epoch/loss", "epoch/val_loss")
    }
    pictures["loss"] = plots.loss_plot(losses)
    metrics = {
        tag.removeprefix("epoch/"): (curve.epochs(epoch_ends), curve.values)
        for tag, curve in curves.items()
        if tag.startswith("epoch/") and tag not in ("epoch/loss", "epoch/val_loss", "epoch/learning_rate")
    }
    if metrics:
        pictures["metrics"] = plots.metrics_plot(metrics)
    return pictures


def _confusion_counts(data: Any, model: keras.Model, from_logits: bool) -> tuple[np.ndarray, str]:
    """The confusion matrix on examples training did not see (the test split, else validation,
    else training), and which examples those were."""
    parts = [("test examples", data.test_dataset()), ("validation examples", data.validation_dataset())]
    held_out = [(where, dataset) for where, dataset in parts if dataset is not None]
    if held_out:
        where, dataset = held_out[0]
        x, y = next(dataset.unbatch().take(PLOTTED_EXAMPLES).batch(PLOTTED_EXAMPLES).as_numpy_iterator())
    else:
        (x, y), where = data.sample(PLOTTED_EXAMPLES), "training examples"
    scores = keras.ops.convert_to_numpy(model(x, training=False))
    # One output for two classes: a logit above 0, or a probability above 0.5, is class 1.
    predicted = (scores[:, 0] > (0.0 if from_logits else 0.5)).astype(np.int64) if scores.shape[-1] == 1 else scores.argmax(-1)
    return tf.math.confusion_matrix(np.reshape(y, -1), predicted, num_classes=data.num_classes).numpy(), where


def _true_values(true_variables: Mapping[str, float], paths: Iterable[str]) -> dict[str, float]:
    """The value each variable path should reach, where the data source knows it by the variable's name."""
    return {path: true_variables[path.rsplit("/", 1)[-1]] for path in paths if path.rsplit("/", 1)[-1] in true_variables}
