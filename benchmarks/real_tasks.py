"""Real tasks: the digits CNN and an MLP on a CSV file of 10^6 rows.

Each task is trained three ways on the same arrays: the framework's fit and
tape strategies (`run(cfg)` with the task's overrides), and a plain Keras
script (`model.compile` + `model.fit` on NumPy arrays, the same layers,
optimizer, loss, metrics, batch size and validation data, written by hand as
users write it). Throughput is marginal training examples/s between a short
and a long run, so loading, tracing and the end-of-run report cancel out.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from arms import Arm

CSV_ROWS = 10**6
CSV_FEATURES = 8


@dataclass(frozen=True)
class Task:
    """A workload: the framework's overrides, and the same model written as plain Keras."""

    name: str
    overrides: tuple[str, ...]
    plain_model: Callable[[], object]  # () -> an uncompiled keras.Model
    learning_rate: float
    classification: bool


def digits_task(num_examples: int | None = None) -> Task:
    """The digits CNN preset; `num_examples` a subset of the 1797 images (the smoke run's)."""

    def plain_model():
        import keras

        return keras.Sequential([
            keras.layers.Rescaling(0.0625),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ])

    subset = () if num_examples is None else (f"data.num_examples={num_examples}",)
    return Task("digits CNN", ("+experiment=digits_cnn", *subset), plain_model, 0.002, classification=True)


_MLP_LAYERS = "[{name:dense,units:64,activation:relu},{name:dense,units:64,activation:relu},{name:dense,units:1}]"


def csv_task(path: Path) -> Task:
    def plain_model():
        import keras

        return keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ])

    overrides = (
        "data=csv", f"data.path={path}", "data.target=y", "data.batch_size=1024",
        "model=sequential", f"model.layers={_MLP_LAYERS}", "loss=mse", "optimizer=adam", "optimizer.learning_rate=0.001",
    )
    return Task("CSV MLP", overrides, plain_model, 0.001, classification=False)


def write_csv(path: Path, rows: int = CSV_ROWS, seed: int = 0) -> Path:
    """A regression table: CSV_FEATURES normal features, y a noisy non-linear function of them."""
    import pandas

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, CSV_FEATURES), dtype=np.float32)
    y = np.tanh(x @ rng.standard_normal(CSV_FEATURES, dtype=np.float32)) + 0.1 * rng.standard_normal(rows, dtype=np.float32)
    table = pandas.DataFrame(x, columns=[f"x{i}" for i in range(CSV_FEATURES)])
    table["y"] = y
    table.to_csv(path, index=False, float_format="%.6g")
    return path


def framework_arm(task: Task, *overrides: str) -> tuple[Arm, int]:
    """`run(cfg)` on `task` (an arm returning epochs), and its training examples per epoch."""
    from framework.config import compose
    from framework.run import run

    def config(epochs: int):
        # The end-of-run pictures are a cost per run, which the marginal rate cancels: not drawn.
        return compose([*task.overrides, "verbose=0", "plots=false", f"epochs={epochs}", *overrides])

    def arm(epochs: int) -> int:
        with tempfile.TemporaryDirectory() as run_dir:
            return run(config(epochs), run_dir).epochs

    return arm, _data_source(config(1)).num_train_examples


def plain_keras_arm(task: Task) -> tuple[Arm, int]:
    """The plain Keras script on the arrays the framework's data source splits off."""
    import keras

    from framework.config import compose

    cfg = compose([*task.overrides, "verbose=0"])
    storage = _data_source(cfg).held
    x_train, y_train = storage.parts["train"]
    validation = storage.parts["validation"] if storage.num_validation else None
    batch_size = int(cfg.data.batch_size)
    metrics = list(cfg.metrics)

    def arm(epochs: int) -> int:
        model = task.plain_model()
        loss = (
            keras.losses.SparseCategoricalCrossentropy(from_logits=True) if task.classification
            else keras.losses.MeanSquaredError()
        )
        model.compile(optimizer=keras.optimizers.Adam(task.learning_rate), loss=loss, metrics=metrics)
        model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=validation, shuffle=True, verbose=0)
        return epochs

    return arm, len(x_train)


def _data_source(cfg):
    from framework.config.plan import plan_run

    return plan_run(cfg).build("data")


def examples_per_second(
    arms: dict[str, tuple[Arm, int]], epochs: tuple[int, int], repeats: int, warm_up: bool = True
) -> dict[str, float]:
    """Median marginal training examples/s of every arm, arms interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in arms}
    small, large = epochs
    for arm, _ in arms.values() if warm_up else ():  # the first run in a process also pays one-time costs
        arm(small)
    for _ in range(repeats):
        for name, (arm, examples_per_epoch) in arms.items():
            small_seconds = _seconds(lambda: arm(small))
            large_seconds = _seconds(lambda: arm(large))
            samples[name].append(examples_per_epoch * (large - small) / max(large_seconds - small_seconds, 1e-9))
    return {name: statistics.median(values) for name, values in samples.items()}


def csv_load_seconds(path: Path, repeats: int) -> dict[str, float]:
    """Seconds to build the framework's CSV data source vs `pandas.read_csv` + NumPy arrays, interleaved."""
    import pandas

    from framework.config import compose
    from framework.config.plan import plan_run

    plan = plan_run(compose(list(csv_task(path).overrides)))  # validating the config is not loading

    def with_pandas():
        table = pandas.read_csv(path)
        return table.drop(columns="y").to_numpy(np.float32), table["y"].to_numpy(np.float32)

    samples: dict[str, list[float]] = {"framework CSV load seconds": [], "pandas.read_csv + NumPy seconds": []}
    for _ in range(repeats):
        samples["framework CSV load seconds"].append(_seconds(lambda: plan.build("data")))
        samples["pandas.read_csv + NumPy seconds"].append(_seconds(with_pandas))
    return {name: statistics.median(values) for name, values in samples.items()}


def _seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start
