"""The end-of-run report: plots as PNG files and TensorBoard images, and HParams.

Curves come from the run's own TensorBoard events, read back with
TensorBoard's reader, so the pictures show exactly what TensorBoard shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from omegaconf import DictConfig, OmegaConf

from framework.reports import plots
from framework.reports.events import Curve, read_scalar_curves
from framework.reports.hparams import write_hparams
from framework.result import RunResult

log = logging.getLogger("framework")

# Where run.py's TensorBoard logger writes; absent when logger=none.
TENSORBOARD_SUBDIR = "tensorboard"
# Examples drawn in the data-and-predictions plot.
PLOTTED_EXAMPLES = 1000


def write_run_report(cfg: DictConfig, result: RunResult, data: Any, model: keras.Model, plots_wanted: bool) -> None:
    """Saves the run's plots as <run dir>/*.png; where the run logged to
    TensorBoard, also logs them as images (`plots/<name>`) with the config as HParams.

    Args:
        cfg: The run's composed config.
        result: The finished run (its directory and global step).
        data: The run's data source; `data.sample(n)` gives examples to plot.
        model: The trained model.
        plots_wanted: False skips the plots (HParams are still written).
    """
    run_dir = Path(result.run_dir)
    log_dir = run_dir / TENSORBOARD_SUBDIR
    logged = log_dir.is_dir()
    config = OmegaConf.to_container(cfg, resolve=True)
    pictures = _pictures(config, read_scalar_curves(log_dir) if logged else {}, data, model) if plots_wanted else {}
    for name, png in pictures.items():
        (run_dir / f"{name}.png").write_bytes(png)
    if not logged:
        return
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default(step=result.global_step):
        write_hparams(config)
        for name, png in pictures.items():
            tf.summary.image(f"plots/{name}", tf.image.decode_png(png)[tf.newaxis])
    writer.close()
    if pictures:
        log.info("Plots: %s", ", ".join(str(run_dir / f"{name}.png") for name in pictures))


def _pictures(config: Mapping[str, Any], curves: Mapping[str, Curve], data: Any, model: keras.Model) -> dict[str, bytes]:
    pictures = {}
    x, y = data.sample(PLOTTED_EXAMPLES)
    if x.shape[1:] == (1,) and y.shape[1:] == (1,):
        predictions = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=np.float32)
        pictures["predictions"] = plots.fit_plot(x, y, predictions)
    if "epoch/loss" not in curves:
        return pictures
    epoch_ends = curves["epoch/loss"].steps
    trajectories = {
        tag.removeprefix("variables/"): (curve.epochs(epoch_ends), curve.values)
        for tag, curve in curves.items()
        if tag.startswith("variables/")
    }
    if trajectories:
        pictures["variables"] = plots.variables_plot(trajectories, _true_values(config["data"], trajectories))
    losses = {
        tag.removeprefix("epoch/"): (curve.epochs(epoch_ends), curve.values)
        for tag, curve in curves.items()
        if tag in ("epoch/loss", "epoch/val_loss")
    }
    pictures["loss"] = plots.loss_plot(losses)
    return pictures


def _true_values(data_config: Mapping[str, Any], paths: Iterable[str]) -> dict[str, float]:
    """Data sources that know the answer say so in their config: `true_w` is
    the value a variable named `W` (or `w`) should reach."""
    true_values = {}
    for path in paths:
        key = f"true_{path.rsplit('/', 1)[-1].lower()}"
        if key in data_config:
            true_values[path] = float(data_config[key])
    return true_values
