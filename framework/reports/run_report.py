"""The end-of-run report: the plots, as PNG files in the run directory.

Curves come from the run's own records (framework.loggers.run_records), so
they exist whatever loggers the run has; a logger that shows pictures
(TensorBoard, MLflow, W&B) takes them from the run directory when the run ends.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from framework.loggers.run_records import LEARNING_RATE, VARIABLES, RunRecords
from framework.run_directory import RunDirectory

# Facts for train.log that the console leaves out (configs/hydra/job_logging/framework.yaml).
details = logging.getLogger("framework.details")

# Examples drawn in the data-and-predictions plot.
PLOTTED_EXAMPLES = 1000
_LOSSES = ("loss", "val_loss")


def write_run_report(
    data: Any, model: keras.Model, run_dir: RunDirectory, records: RunRecords, plots_wanted: bool, from_logits: bool = False,
) -> None:
    """Saves the run's plots as PNG files in `run_dir` (none when `plots_wanted` is false).

    Args:
        data: The run's data source; `data.sample(n)` gives examples to plot,
            `data.true_variables` the values variables should reach.
        model: The trained model.
        run_dir: Where the run writes.
        records: What the run logged.
        plots_wanted: False skips the plots.
        from_logits: The model's class scores are logits (the loss's from_logits), for the confusion matrix.
    """
    if not plots_wanted:
        return
    pictures = _pictures(records, data, model, from_logits)
    for name, png in pictures.items():
        _write_whole(run_dir.plot(name), png)
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


def _pictures(records: RunRecords, data: Any, model: keras.Model, from_logits: bool) -> dict[str, bytes]:
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
    names = records.names()
    if "loss" not in names:
        return pictures
    trajectories = {name.removeprefix(VARIABLES): records.curve(name) for name in names if name.startswith(VARIABLES)}
    if trajectories:
        pictures["variables"] = plots.variables_plot(trajectories, _true_values(data.true_variables, trajectories))
    losses, metrics = plotted_curves(names)
    pictures["loss"] = plots.loss_plot({name: records.curve(name) for name in losses})
    if metrics:
        pictures["metrics"] = plots.metrics_plot({name: records.curve(name) for name in metrics})
    return pictures


def plotted_curves(names: list[str]) -> tuple[list[str], list[str]]:
    """Which of the recorded `names` the loss plot draws (the loss, val_loss and each validation
    set's val_<set>_loss), and which the metrics plot (the other epoch values)."""
    losses = [name for name in names if name in _LOSSES or (name.startswith("val_") and name.endswith("_loss"))]
    metrics = [name for name in names if name not in (*losses, LEARNING_RATE) and not name.startswith(VARIABLES)]
    return losses, metrics


def _confusion_counts(data: Any, model: keras.Model, from_logits: bool) -> tuple[np.ndarray, str]:
    """The confusion matrix on examples training did not see (the test split, else validation,
    else training), and which examples those were."""
    for part in ("test", "validation"):
        examples = data.examples(part, limit=PLOTTED_EXAMPLES)
        if examples is not None:
            (x, y), where = examples, f"{part} examples"
            break
    else:
        (x, y), where = data.sample(PLOTTED_EXAMPLES), "training examples"
    scores = keras.ops.convert_to_numpy(model(x, training=False))
    # One output for two classes: a logit above 0, or a probability above 0.5, is class 1.
    predicted = (scores[:, 0] > (0.0 if from_logits else 0.5)).astype(np.int64) if scores.shape[-1] == 1 else scores.argmax(-1)
    classes = data.num_classes
    pairs = np.reshape(y, -1).astype(np.int64) * classes + predicted
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes), where


def _true_values(true_variables: Mapping[str, float], paths: Iterable[str]) -> dict[str, float]:
    """The value each variable path should reach, where the data source knows it by the variable's name."""
    return {path: true_variables[path.rsplit("/", 1)[-1]] for path in paths if path.rsplit("/", 1)[-1] in true_variables}
