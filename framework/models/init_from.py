"""`init_from=<run dir>`: a new run that starts from another run's trained weights (fine-tuning).

The other run's model.keras is loaded (Keras safe mode, its plugins
imported) and every layer of the new model takes the weights of the layer of
the same name there (see layer_tree for how nested models are named). What
happened is reported on the console and in init_from.json beside the run,
which summary.json repeats:

    loaded   layers that took the trained weights
    new      layers the other run's model has no layer of that name for: they start afresh
    refitted layers of the same name whose weights have other shapes (a head of
             another size): an error, unless init_from_strict=false starts them afresh
    unused   the other run's layers this model has no place for

The weights are set once, before the first epoch; a resumed run takes its
weights from its own checkpoint instead.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import keras

from framework.config.paths import resolve_path
from framework.config.settings import RunSettings
from framework.errors import ConfigError
from framework.models.layer_tree import layer_units
from framework.run_directory import RunDirectory
from framework.saving import load_run_model

log = logging.getLogger("framework")


def start_from_trained_run(model: keras.Model, settings: RunSettings, run_dir: RunDirectory, epochs_done: int) -> dict[str, Any] | None:
    """Loads `settings.init_from`'s weights into `model` at the start of a run; returns the report.

    A run resumed after its first checkpoint loads nothing and returns the
    report written when it started.

    Raises:
        InputError: The other run has no model (it failed or stopped) or it cannot be loaded.
        ConfigError: No layer matched; or layers of the same name have weights of
            other shapes and init_from_strict is true.
    """
    if settings.init_from is None:
        return None
    if epochs_done:
        path = run_dir.init_from_report
        return json.loads(path.read_text()) if path.is_file() else None
    source_dir = resolve_path(settings.init_from)
    source = load_run_model(source_dir, key="init_from")
    report = {"run": str(source_dir), **_copy_weights(layer_units(source), layer_units(model), settings)}
    with run_dir.writing("the init_from report", run_dir.init_from_report):
        run_dir.init_from_report.write_text(json.dumps(report, indent=2) + "\n")
    log.info(
        "init_from=%s: %d layer(s) loaded (%s); new: %s; started afresh: %s; unused there: %s.",
        settings.init_from, len(report["loaded"]), ", ".join(report["loaded"]),
        ", ".join(report["new"]) or "none", ", ".join(report["refitted"]) or "none", ", ".join(report["unused"]) or "none",
    )
    return report


def _copy_weights(source: dict[str, keras.layers.Layer], target: dict[str, keras.layers.Layer], settings: RunSettings) -> dict[str, list[str]]:
    report: dict[str, list[str]] = {"loaded": [], "new": [], "refitted": [], "unused": [name for name in source if name not in target]}
    mismatches = []
    for name, layer in target.items():
        if name not in source:
            report["new"].append(name)
            continue
        have, want = _shapes(source[name]), _shapes(layer)
        if type(source[name]).__name__ != type(layer).__name__ or have != want:
            report["refitted"].append(name)
            mismatches.append(f"{name}: {type(source[name]).__name__} {have} there, {type(layer).__name__} {want} here")
            continue
        layer.set_weights(source[name].get_weights())
        report["loaded"].append(name)
    where = f"init_from={settings.init_from}"
    if mismatches and settings.init_from_strict:
        raise ConfigError(
            f"{where}: these layers have the same name there but weights of other shapes, so their trained "
            f"weights cannot be loaded: {'; '.join(mismatches)}. Set init_from_strict=false to start them "
            f"afresh (a new head of another size), or give the new layer a name of its own (an id in model=graph)."
        )
    if not any(weight.trainable for name in report["loaded"] for weight in (*source[name].weights, *target[name].weights)):
        # Statistics alone (a Normalization layer) are no trained model. (Freezing marks a layer's weights untrainable.)
        raise ConfigError(
            f"{where}: no layer of this model takes trained weights from that run's model, so nothing would be "
            f"learned from it. Its layers: {', '.join(source) or '(none)'}; this model's: {', '.join(target)}. "
            f"Layers are matched by name: build the same layers (the same model config), then change the head."
        )
    return report


def _shapes(layer: keras.layers.Layer) -> list[tuple[int, ...]]:
    return [tuple(weight.shape) for weight in layer.weights]

