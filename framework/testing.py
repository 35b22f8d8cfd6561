"""Conformance kit: checks a layer or a callback the way the framework will use it.

Any plugin's tests call it with the class and its arguments::

    from framework.testing import check_callback, check_layer
    from my_plugin import MyLayer, MyCallback

    def test_my_layer_conforms(tmp_path):
        check_layer(MyLayer, {"units": 4}, workdir=tmp_path)

    def test_my_callback_conforms(tmp_path):
        check_callback(MyCallback, {"patience": 2}, workdir=tmp_path)

Each check raises AssertionError saying what the layer did and what the
framework expects. Training goes through the public entry points only
(`framework.config.compose`, then `framework.run.run`), so a
layer that passes here trains from the command line too.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framework.registry import CALLBACKS, LAYERS

Shape = tuple[int, ...]

DEFAULT_INPUT_SHAPES: tuple[Shape, ...] = ((2, 1), (3, 4), (2, 5, 3))
STRATEGIES: tuple[str, ...] = ("tape", "fit")
# A short run on the `sine` data; the longer run must end with a lower loss. No
# logs or pictures: they say nothing about the layer.
_TRAINING_OVERRIDES = (
    "model=sequential", "data=sine", "logger=none", "plots=false", "optimizer=adam", "optimizer.learning_rate=0.01",
    "data.num_examples=64", "data.batch_size=16", "data.val_fraction=0",
)
_SHORT_EPOCHS, _LONG_EPOCHS = 1, 3


def check_layer(
    layer_cls: type,
    init_kwargs: Mapping[str, Any],
    *,
    input_shapes: Sequence[Shape] = DEFAULT_INPUT_SHAPES,
    output_shape: Callable[[Shape], Shape] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    fresh_process: bool = True,
    workdir: str | Path | None = None,
) -> None:
    """Checks `layer_cls(**init_kwargs)` against everything the framework relies on.

    1. `get_config` holds every init argument, and `from_config` rebuilds an
       equal layer.
    2. For each input shape the layer builds, its eager output has the shape
       its symbolic output (and `output_shape(input_shape)`, if given) says,
       keeps the batch dimension, and is finite.
    3. Under each strategy, a model `[layer, dense(1)]` trained on the `sine`
       data through the public API ends with a lower loss after more epochs,
       and the layer's own trainable weights change.
    4. A `.keras` file of a model holding the layer reloads with the same
       outputs, in this process and (if `fresh_process`) in a new one on
       every installed Keras backend (TensorFlow, JAX): a layer written with
       `keras.ops` computes the same on each.

    A layer not yet registered in LAYERS is registered under its class name
    in snake case, as a plugin would register it.

    Args:
        layer_cls: The Keras layer class.
        init_kwargs: Arguments for it, as a config would give them.
        input_shapes: Input shapes to build for, batch dimension first; the
            first is used for saving.
        output_shape: Expected output shape for an input shape.
        strategies: Strategy keys to train under.
        fresh_process: Also reload the saved model in a new Python process,
            one per installed backend.
        workdir: Where runs and files go; a temporary folder if None.
    """
    from framework.plugins import load_plugins

    load_plugins()
    key = _registered_key(layer_cls)
    with _folder(workdir) as folder:
        _check_config_round_trip(layer_cls, init_kwargs)
        for shape in input_shapes:
            _check_output_shape(layer_cls, init_kwargs, tuple(shape), output_shape)
        for strategy in strategies:
            _check_training(layer_cls, key, init_kwargs, strategy, folder)
        _check_saving(layer_cls, init_kwargs, tuple(input_shapes[0]), folder, fresh_process)


def check_callback(
    callback_cls: type,
    init_kwargs: Mapping[str, Any],
    *,
    strategies: Sequence[str] = STRATEGIES,
    epochs: int = 3,
    workdir: str | Path | None = None,
) -> None:
    """Checks that `callback_cls(**init_kwargs)` works in the `callbacks` list under every strategy.

    1. A spec `{name: <its key>, **init_kwargs}` resolves: its arguments are
       keywords of its `__init__`, and it implements only the hooks every
       strategy calls (train and epoch hooks; no batch, test or predict hooks).
    2. Under each strategy, a short run on the `linear` data (with validation)
       calls its `on_epoch_end` once per epoch, in order, and every strategy
       hands it the same logs (to 1e-5), as fit does.

    A callback not yet registered in CALLBACKS is registered under its class
    name in snake case, as a plugin would register it.
    """
    from framework.plugins import load_plugins

    load_plugins()
    key = _registered_key(callback_cls, CALLBACKS)
    calls: dict[str, list[tuple[int, dict[str, float]]]] = {}
    with _folder(workdir) as folder:
        for strategy in strategies:
            calls[strategy] = _epoch_end_calls(callback_cls, key, init_kwargs, strategy, epochs, folder)
            where = f"{callback_cls.__name__} under strategy={strategy}"
            assert [epoch for epoch, _ in calls[strategy]] == list(range(epochs)), (
                f"{where}: on_epoch_end was called for epochs {[epoch for epoch, _ in calls[strategy]]}, expected each of "
                f"0..{epochs - 1} once, in order"
            )
    first, *others = strategies
    for other in others:
        for (epoch, logs), (_, other_logs) in zip(calls[first], calls[other]):
            assert set(logs) == set(other_logs) and all(math.isclose(logs[n], other_logs[n], abs_tol=1e-5) for n in logs), (
                f"{callback_cls.__name__}: epoch {epoch}'s logs differ between strategy={first} ({logs}) and strategy={other} ({other_logs})"
            )


def _epoch_end_calls(callback_cls: type, key: str, init_kwargs: Mapping[str, Any], strategy: str, epochs: int, folder: Path):
    """(epoch, logs) of each on_epoch_end call a run with the callback in `callbacks` made."""
    from framework.config import compose
    from framework.run import run

    calls = []

    class Recorded(callback_cls):  # the callback itself, its epoch ends also written down
        def on_epoch_end(self, epoch, logs=None):
            calls.append((epoch, {name: float(value) for name, value in (logs or {}).items()}))
            super().on_epoch_end(epoch, logs)

    Recorded.__name__ = Recorded.__qualname__ = f"Recorded{callback_cls.__name__}"
    recorded_key = f"conformance_{key}"
    CALLBACKS.register(recorded_key)(Recorded)
    try:
        cfg = compose(["data.num_examples=64", "data.batch_size=16", "data.val_fraction=0.25", "logger=none", "plots=false",
                       "verbose=0", f"epochs={epochs}", f"strategy={strategy}"])
        cfg.callbacks = [{"name": recorded_key, **init_kwargs}]
        run(cfg, folder / f"callback-{strategy}")
    finally:
        CALLBACKS.unregister(recorded_key)
    return calls


def _check_config_round_trip(layer_cls: type, init_kwargs: Mapping[str, Any]) -> None:
    config = layer_cls(**init_kwargs).get_config()
    name = layer_cls.__name__
    missing = [key for key in init_kwargs if key not in config]
    assert not missing, (
        f"{name}.get_config() lacks {', '.join(missing)}: it must return every __init__ argument, "
        f"or a saved model rebuilds a different layer. Received: {config}"
    )
    changed = {key: config[key] for key, value in init_kwargs.items() if config[key] != value}
    assert not changed, f"{name}.get_config() changed init arguments {dict(init_kwargs)} into {changed}"
    rebuilt = layer_cls.from_config(config).get_config()
    assert rebuilt == config, f"{name}.from_config(config).get_config() differs from config: {rebuilt} != {config}"


def _check_output_shape(
    layer_cls: type, init_kwargs: Mapping[str, Any], shape: Shape, output_shape: Callable[[Shape], Shape] | None
) -> None:
    import keras

    inputs = np.random.default_rng(0).normal(size=shape).astype("float32")
    eager = keras.ops.convert_to_numpy(layer_cls(**init_kwargs)(inputs))
    symbolic = tuple(layer_cls(**init_kwargs)(keras.KerasTensor(shape)).shape)
    where = f"{layer_cls.__name__} on inputs of shape {shape}"
    assert eager.shape == symbolic, (
        f"{where}: outputs shape {eager.shape} but its symbolic call (compute_output_shape) says {symbolic}"
    )
    assert eager.shape[0] == shape[0], f"{where}: changed the batch dimension to {eager.shape[0]}"
    if output_shape is not None:
        assert eager.shape == tuple(output_shape(shape)), f"{where}: outputs shape {eager.shape}, expected {tuple(output_shape(shape))}"
    assert np.isfinite(eager).all(), f"{where}: outputs non-finite values"


def _check_training(layer_cls: type, key: str, init_kwargs: Mapping[str, Any], strategy: str, folder: Path) -> None:
    short, long = (_train(key, init_kwargs, strategy, epochs, folder) for epochs in (_SHORT_EPOCHS, _LONG_EPOCHS))
    where = f"{layer_cls.__name__} trained with strategy={strategy}"
    before, after = short.metrics["loss"], long.metrics["loss"]
    assert math.isfinite(after) and after < before, (
        f"{where}: the loss did not go down: {before:.6f} after {_SHORT_EPOCHS} epoch(s), {after:.6f} after {_LONG_EPOCHS}"
    )
    # The layer comes first in the model, so its variables come first.
    layer_variables = list(short.variables)[: len(_built(layer_cls, init_kwargs).trainable_weights)]
    assert not layer_variables or any(
        not np.allclose(short.variables[path], long.variables[path]) for path in layer_variables
    ), f"{where}: training did not change the layer's weights {layer_variables}; are its gradients zero?"


def _train(key: str, init_kwargs: Mapping[str, Any], strategy: str, epochs: int, folder: Path):
    from framework.config import compose
    from framework.run import run

    cfg = compose([*_TRAINING_OVERRIDES, f"strategy={strategy}", f"epochs={epochs}"])
    cfg.model.layers = [{"name": key, **init_kwargs}, {"name": "dense", "units": 1}]
    return run(cfg, folder / f"{strategy}-{epochs}-epochs")


def _check_saving(layer_cls: type, init_kwargs: Mapping[str, Any], shape: Shape, folder: Path, fresh_process: bool) -> None:
    import keras

    from framework.saving import load_model

    model = keras.Sequential([keras.Input(shape[1:], batch_size=shape[0]), layer_cls(**init_kwargs)])
    inputs = np.random.default_rng(1).normal(size=shape).astype("float32")
    expected = keras.ops.convert_to_numpy(model(inputs))
    path = folder / "layer.keras"
    model.save(path)
    reloaded = keras.ops.convert_to_numpy(load_model(path)(inputs))
    np.testing.assert_allclose(reloaded, expected, rtol=1e-5, atol=1e-6, err_msg=f"{layer_cls.__name__} reloaded in this process")
    if not fresh_process:
        return
    from framework.start_up import installed_backends

    np.save(folder / "inputs.npy", inputs)
    for backend in installed_backends():
        _reload_in_fresh_process(layer_cls, path, folder, backend)
        # Another backend's kernels sum in another order: float32 agrees to about 1e-6 relative.
        np.testing.assert_allclose(
            np.load(folder / "outputs.npy"), expected, rtol=1e-4, atol=1e-5,
            err_msg=f"{layer_cls.__name__} reloaded in a fresh process on the {backend} backend",
        )


def _reload_in_fresh_process(layer_cls: type, path: Path, folder: Path, backend: str) -> None:
    script = "import sys; from framework.testing import _predict_with_saved_model; _predict_with_saved_model(*sys.argv[1:])"
    # The new process imports the layer's module from where this one did
    # (a plugin's tests may define layers in modules only pytest put on the path).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "TF_CPP_MIN_LOG_LEVEL": "2",
           "KERAS_BACKEND": backend}
    arguments = [str(path), str(folder / "inputs.npy"), str(folder / "outputs.npy"), layer_cls.__module__, layer_cls.__qualname__]
    done = subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, (
        f"{layer_cls.__name__}: the saved model did not reload in a fresh process on the {backend} backend:\n"
        f"{done.stderr[-3000:]}"
    )


def _predict_with_saved_model(model_path: str, inputs_path: str, outputs_path: str, module: str, qualname: str) -> None:
    """Runs in the fresh process: registers what check_layer registered, reloads, predicts."""
    from framework.start_up import loading_tensorflow

    with loading_tensorflow():  # a fresh process loads Keras as the commands do
        import keras

    from framework.plugins import load_plugins
    from framework.saving import load_model

    load_plugins()
    _registered_key(functools.reduce(getattr, qualname.split("."), importlib.import_module(module)))
    outputs = load_model(model_path)(np.load(inputs_path))
    np.save(outputs_path, keras.ops.convert_to_numpy(outputs))


def _registered_key(component_cls: type, registry=LAYERS) -> str:
    for entry in registry.entries():
        if entry.factory is component_cls:
            return entry.key
    key = re.sub(r"(?<!^)(?=[A-Z])", "_", component_cls.__name__).lower()
    registry.register(key)(component_cls)
    return key


def _built(layer_cls: type, init_kwargs: Mapping[str, Any]):
    layer = layer_cls(**init_kwargs)
    layer.build((None, 1))  # the sine data's one feature
    return layer


@contextlib.contextmanager
def _folder(workdir: str | Path | None) -> Iterator[Path]:
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        yield Path(workdir)
        return
    with tempfile.TemporaryDirectory(prefix="check_layer-") as folder:
        yield Path(folder)
