"""A finished run's loss and metrics on any data source (framework.evaluate).

The data section is the run's own (.hydra/config.yaml), changed by the
user's `data=<option>` (a fresh section of that option) and `data.<key>=...`
overrides; the loss and metrics are the run's. The split `all` scores every
example of the source (its validation and test fractions set to 0), the
others the source's own part. Class ids are matched to the run's classes by
name, so a file with fewer classes, or the classes in another order, is
scored right; the columns of a CSV file are matched to the run's by name
too. Nothing of the run changes: the result goes into
`<run dir>/evaluations/<name>.json` (or `output=<file>`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.config.compose import compose
from framework.errors import ConfigError, InputError
from framework.run_directory import RunDirectory

SPLITS = ("all", "train", "validation", "test")


@dataclass(frozen=True)
class Evaluation:
    """A run scored on a data set.

    Attributes:
        run: The run's directory.
        split: Which examples of the data were scored.
        data: The data section used (resolved).
        examples: How many examples were scored.
        metrics: The run's loss and metrics on them, as Keras's evaluate computes them.
    """

    run: str
    split: str
    data: dict[str, Any]
    examples: int
    metrics: dict[str, float]

    @property
    def name(self) -> str:
        """The file name it is kept under: the data source, the split and a digest of the data section."""
        digest = hashlib.sha256(json.dumps(self.data, sort_keys=True, default=str).encode()).hexdigest()[:8]
        return f"{self.data.get('name', 'data')}-{self.split}-{digest}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def write(self, path: Path) -> None:
        """Writes the evaluation as JSON at `path`, whole or not at all."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            temporary.write_text(self.to_json())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)


def evaluation_config(run_dir: Path, data_overrides: list[str], split: str) -> DictConfig:
    """The run's saved config with the data section the overrides ask for (no TensorFlow)."""
    saved = RunDirectory(run_dir).saved_config
    if not saved.is_file():
        raise InputError(f"run={run_dir}: it holds no {saved.relative_to(run_dir)}, which every run writes; pass a run's directory.")
    cfg = OmegaConf.load(saved)
    options = [override.partition("=")[2] for override in data_overrides if override.startswith("data=")]
    if options:
        cfg.data = OmegaConf.to_container(compose([f"data={options[-1]}"]).data, resolve=False)
    keys = [override for override in data_overrides if override.startswith("data.")]
    if keys:
        cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(keys))
    if split == "all":
        cfg.data.val_fraction, cfg.data.test_fraction, cfg.data.shuffle = 0.0, 0.0, False
    return cfg


def evaluate_run(run_dir: Path, cfg: DictConfig, split: str, plugins: tuple[str, ...] = ()) -> Evaluation:
    """Scores the run's model on the data `cfg` describes (imports TensorFlow).

    Raises:
        ConfigError: The data section is invalid.
        InputError: The data cannot be read, does not fit the model, or has classes the run does not know.
    """
    from framework.inference.classes import saved_classes
    from framework.layers.categorical_inputs import categorical_columns
    from framework.plugins import load_plugins
    from framework.registry import DATA, LOSSES, METRICS
    from framework.saving import load_run_model, run_plugins, saved_feature_names

    load_plugins((*run_plugins(run_dir), *plugins))
    data_config = _plain(cfg, "data")
    model = load_run_model(run_dir, plugins=plugins)
    categories = categorical_columns(model)  # the data's values are coded with the run's vocabularies
    data = DATA.resolve(data_config, "data").build(**({"known_categories": categories} if categories else {}))
    _check_categories(categories, data)
    x, y = _examples(data, split)
    x = _as_run_features(x, data.feature_names, saved_feature_names(run_dir))
    expected, given = tuple(model.input_shape[1:]), tuple(x.shape[1:])
    if expected != given:
        raise InputError(f"data: its examples have shape {given}, but the run's model takes {expected}. Use data of the kind the run was trained on.")
    y = _as_run_classes(y, data.class_names, saved_classes(run_dir))
    resolved = [METRICS.resolve({"name": spec} if isinstance(spec, str) else spec, f"metrics[{index}]") for index, spec in enumerate(_plain(cfg, "metrics"))]
    metrics = [metric.build(name=metric.key) for metric in resolved]  # named by key, as in training
    model.compile(loss=LOSSES.resolve(_plain(cfg, "loss"), "loss").build(), metrics=metrics)
    results = model.evaluate(x, y, batch_size=data.batch_size, verbose=0, return_dict=True)
    return Evaluation(str(run_dir), split, data_config, len(x), {name: float(value) for name, value in results.items()})


def _plain(cfg: DictConfig, key: str) -> Any:
    try:
        return OmegaConf.to_container(cfg[key], resolve=True) if OmegaConf.is_config(cfg[key]) else cfg[key]
    except OmegaConfBaseException as error:
        raise ConfigError(f"{key}: could not resolve the config: {error}") from None


def _examples(data, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Every example of the split, in order, as NumPy arrays."""
    examples = data.examples("train" if split == "all" else split)
    if examples is None:
        key = "val_fraction" if split == "validation" else "test_fraction"
        raise InputError(f"split={split}: the data holds no {split} examples (data.{key}=0). Set data.{key} above 0, or use split=all.")
    return examples


def _check_categories(run_columns: dict, data) -> None:
    """Every column the run's model reads as categories is one of the data's categorical columns."""
    coded = {column.name for column in data.categories.columns} if data.categories else set()
    numbers = [name for name in run_columns if name not in coded]
    if numbers:
        raise InputError(
            f"data: the run's model reads the column(s) {', '.join(numbers)} as categories, but the data reads them as "
            f"numbers. Name them in data.categorical as the run did: data.categorical={{{', '.join(f'{name}: {run_columns[name].mode}' for name in numbers)}}}."
        )


def _as_run_features(x: np.ndarray, names: tuple[str, ...] | None, run_names: list[str] | None) -> np.ndarray:
    """The data's feature columns in the order the run was trained on (by name, where both have names)."""
    if names is None or run_names is None or list(names) == run_names:
        return x
    missing = [name for name in run_names if name not in names]
    if missing:
        raise InputError(
            f"data: the run was trained on the columns {', '.join(run_names)}, but the data has no column "
            f"{', '.join(repr(name) for name in missing)} (its features: {', '.join(names)}). Set data.features to its columns of those names."
        )
    return x[..., [names.index(name) for name in run_names]]


def _as_run_classes(y: np.ndarray, names: tuple[str, ...] | None, classes) -> np.ndarray:
    """Class ids of the data's names -> the ids of the same names in the run's model."""
    if classes is None or names is None:
        if classes is not None:
            raise InputError(
                f"data: the run is a classifier of {', '.join(classes.names)}, but the data's targets are numbers. "
                f"Set data.target_type=classification to read them as class labels."
            )
        return y
    unknown = [name for name in names if name not in classes.names]
    if unknown:
        raise InputError(
            f"data: the data holds the class(es) {', '.join(unknown)}, which the run's model does not know (its "
            f"classes: {', '.join(classes.names)}). Score it on data of those classes."
        )
    return np.asarray([classes.names.index(name) for name in names], dtype=y.dtype)[y]
