"""What a run returns and writes to `summary.json`."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RunResult:
    """Final metrics and variables of a finished run.

    Attributes:
        run_dir: Where the run wrote its config, events, model and summary.
        strategy: The training strategy's registry key.
        backend: The Keras backend it trained on (tensorflow or jax).
        epochs: Epochs completed.
        global_step: Optimizer steps taken.
        metrics: Last epoch's logs, e.g. {"loss": ..., "val_loss": ...}.
        variables: Final value of every trainable variable of up to
            MAX_LISTED_ELEMENTS elements, by path (lists for tensors).
        large_variables: The larger ones by path, described, not listed:
            {"shape", "mean", "std", "min", "max"} (their values are in model.keras;
            a 15M-parameter network listed in JSON is half a gigabyte).
        objective_metric: The metric returned as `objective` (the config's
            objective.metric); None: val_loss if measured, else loss.
        loop: How the strategy's loop ran, e.g. {"graph_calls": 2, "traces": 1}
            for the tape strategy, {"logger_writes": 3, "logger_traces": 1} for
            fit's batched record writes; shows where Python was visited.
        parameters: The model's parameter counts, {"trainable": ..., "total": ...}.
        init_from: With init_from: the run the weights came from and which layers
            took them (loaded, new, refitted, unused); None otherwise.
        data: The data files the run trained on, one {"path", "bytes", "modified",
            "sha256", "hashed"} each (framework.data.identity); empty for generated data.
        trial: For a job of a sweep=optuna multirun, its Optuna trial:
            {"study": ..., "number": ..., "state": "PRUNED" or "COMPLETE",
            "pruned_at_epoch": the 0-based epoch its pruner stopped it after, or None}.
    """

    run_dir: str
    strategy: str
    epochs: int
    global_step: int
    metrics: dict[str, float]
    variables: dict[str, Any]
    objective_metric: str | None = None
    loop: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)
    init_from: dict[str, Any] | None = None
    data: list[dict[str, Any]] = field(default_factory=list)
    trial: dict[str, Any] | None = None
    backend: str = "tensorflow"
    large_variables: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def objective(self) -> float:
        """The number a sweeper optimises: `objective_metric`'s last value, or by default the
        validation loss if measured, else the loss (NaN when the run logged none)."""
        return objective_value(self.metrics, self.objective_metric)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "objective": self.objective}

    @classmethod
    def read(cls, path: Path) -> RunResult:
        """The result a run wrote to `path` (summary.json)."""
        fields = json.loads(path.read_text())
        fields.pop("objective", None)
        return cls(**fields)

    def write(self, path: Path) -> None:
        # Written to a temporary name first so a crash never leaves half a summary.
        # JSON has no NaN or infinity: such a value is written as null, so the file stays valid JSON.
        temporary = path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(_finite_or_none(self.to_dict()), indent=2, allow_nan=False) + "\n")
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)  # a failed write leaves nothing behind


MAX_LISTED_ELEMENTS = 2**16  # the digits CNN's largest kernel, 1024 x 64, is listed whole


def final_variables(variables) -> dict[str, dict[str, Any]]:
    """`variables` and `large_variables` of a RunResult: Keras variables listed by path up to
    MAX_LISTED_ELEMENTS elements each, the larger ones described by shape and statistics."""
    listed, described = {}, {}
    for variable in variables:
        value = np.asarray(variable.numpy())
        if value.size <= MAX_LISTED_ELEMENTS:
            listed[variable.path] = value.tolist()
        else:
            statistics = (value.mean(), value.std(), value.min(), value.max())
            described[variable.path] = {"shape": list(value.shape),
                                        **dict(zip(("mean", "std", "min", "max"), map(float, statistics)))}
    return {"variables": listed, "large_variables": described}


def objective_value(logs: Mapping[str, float], metric: str | None) -> float:
    """The objective in an epoch's `logs`: `metric`'s value, or by default val_loss if
    logged, else loss (NaN when absent)."""
    if metric is not None:
        return logs.get(metric, math.nan)
    return logs.get("val_loss", logs.get("loss", math.nan))


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(item) for item in value]
    return value
