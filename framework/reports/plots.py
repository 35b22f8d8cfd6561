"""The tutorial's pictures of a run on 1-D data, as PNG bytes.

Figures are drawn with matplotlib's object API on the Agg canvas: no pyplot,
no global state, no display needed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# A curve to draw: epoch numbers and the values at them.
EpochSeries = tuple[np.ndarray, np.ndarray]

_SIZE = (6.4, 4.0)
_DPI = 100
# Room for tick labels of up to about seven characters and one line of axis label and title.
_MARGINS = {"left": 0.12, "right": 0.97, "bottom": 0.12, "top": 0.92}


def fit_plot(x: np.ndarray, y: np.ndarray, predictions: np.ndarray) -> bytes:
    """The data (blue dots) with the model's predictions (red line)."""
    figure, axes = _figure()
    order = np.argsort(x[:, 0])
    axes.plot(x[:, 0], y[:, 0], ".", color="blue", markersize=3, label="Data")
    axes.plot(x[order, 0], predictions[order, 0], "-", color="red", label="Predictions")
    axes.set(xlabel="x", ylabel="y", title="Data and predictions")
    axes.legend()
    return _png(figure)


def variables_plot(trajectories: Mapping[str, EpochSeries], true_values: Mapping[str, float]) -> bytes:
    """Each scalar variable over epochs (solid), its true value if known (dashed, same color).

    `trajectories` maps a variable's path to its values by epoch (0 = before
    training); `true_values` maps some of those paths to the value it should reach.
    """
    figure, axes = _figure()
    for index, (path, (epochs, values)) in enumerate(trajectories.items()):
        color = f"C{index % 10}"
        axes.plot(epochs, values, "-", color=color, label=path)
        if path in true_values:
            axes.axhline(true_values[path], linestyle="--", color=color, label=f"true {path}")
    axes.set(xlabel="epochs completed", ylabel="value", title="Variables")
    axes.legend()
    return _png(figure)


def loss_plot(losses: Mapping[str, EpochSeries]) -> bytes:
    """Each epoch loss (training, validation) over epochs."""
    return _epoch_curves(losses, ylabel="loss", title="Loss")


def metrics_plot(metrics: Mapping[str, EpochSeries]) -> bytes:
    """Each epoch metric (accuracy, val_accuracy, ...) over epochs."""
    return _epoch_curves(metrics, ylabel="value", title="Metrics")


def _epoch_curves(curves: Mapping[str, EpochSeries], ylabel: str, title: str) -> bytes:
    figure, axes = _figure()
    for name, (epochs, values) in curves.items():
        axes.plot(epochs, values, ".-", label=name)
    axes.set(xlabel="epochs completed", ylabel=ylabel, title=title)
    axes.legend()
    return _png(figure)


def confusion_plot(counts: np.ndarray, class_names: Sequence[str], where: str) -> bytes:
    """How often each true class (rows) was predicted as each class (columns)."""
    figure, axes = _figure(fitted_layout=True)
    axes.imshow(counts, cmap="Blues")
    ticks = range(len(class_names))
    axes.set_xticks(ticks, class_names, rotation=45, ha="right")
    axes.set_yticks(ticks, class_names)
    for (row, column), count in np.ndenumerate(counts):
        axes.text(column, row, str(count), ha="center", va="center", color="black")
    axes.set(xlabel="predicted class", ylabel="true class", title=f"Confusion matrix ({where})")
    return _png(figure)


def _figure(fitted_layout: bool = False):
    """A figure with one set of axes. Curves fit fixed margins; `fitted_layout` measures
    every label first (rotated class names need it), which costs as much as drawing."""
    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="tight" if fitted_layout else None)
    if not fitted_layout:
        figure.subplots_adjust(**_MARGINS)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
