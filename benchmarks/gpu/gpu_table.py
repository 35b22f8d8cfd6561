"""The GPU table: backend=jax on one NVIDIA GPU, with no TensorFlow installed.

Rows, each in training examples/s (marginal between a short and a long run, so
compilation cancels out), for two workloads:
- the digits CNN (float32), and
- a wide MLP in mixed_bfloat16, large enough to load the GPU (4 x 4096-unit
  Dense layers, batch 4096, synthetic data generated per batch),
each trained four ways: the framework's `fit` and hand-written (tape)
strategies, a plain Keras-on-JAX `fit` script on the same arrays, and a
hand-written JAX loop (jax.jit + value_and_grad + stateless_apply). For the MLP
the achieved TFLOP/s (6 x parameters x examples/s: forward and backward of
dense layers) is set against the chip's bfloat16 dense peak.

Usage (KERAS_BACKEND=jax): python gpu_table.py [--smoke] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

assert os.environ.get("KERAS_BACKEND") == "jax", "run with KERAS_BACKEND=jax"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import keras  # noqa: E402
import real_tasks  # noqa: E402

from framework.config import compose  # noqa: E402
from framework.run import run  # noqa: E402

# bfloat16 dense peak of the chips this runs on, TFLOP/s (NVIDIA's data sheets, without sparsity).
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}
WIDTH, DEPTH = 4096, 4
MLP_LAYERS = "[" + ",".join(["{name:dense,units:%d,activation:relu}" % WIDTH] * DEPTH) + ",{name:dense,units:1}]"


def mlp_overrides(examples: int, batch: int) -> tuple[str, ...]:
    return ("data=sine", f"data.num_examples={examples}", f"data.batch_size={batch}", "data.val_fraction=0",
            "model=sequential", f"model.layers={MLP_LAYERS}", "precision=mixed_bfloat16", "optimizer=adam",
            "optimizer.learning_rate=0.0001", "logger=none", "verbose=0", "plots=false")


def framework_arm(overrides, *extra):
    def arm(epochs: int) -> None:
        with tempfile.TemporaryDirectory() as run_dir:
            run(compose([*overrides, f"epochs={epochs}", *extra]), run_dir)

    return arm


def arrays(overrides):
    from framework.config.plan import plan_run

    data = plan_run(compose(list(overrides))).build("data")
    return data.examples("train"), data.batch_size


def plain_fit_arm(overrides, build_model, loss):
    (x, y), batch = arrays(overrides)

    def arm(epochs: int) -> None:
        model = build_model()
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss, jit_compile=True)
        model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0)

    return arm


def hand_written_arm(overrides, build_model, loss):
    """The loop as JAX users write it: every epoch's steps in one jit, batches gathered on the device."""
    (x, y), batch = arrays(overrides)
    x, y = jax.device_put(x), jax.device_put(y)
    model = build_model()
    model.build((None, *x.shape[1:]))
    optimizer = keras.optimizers.Adam(1e-4)
    optimizer.build(model.trainable_variables)
    steps = len(x) // batch

    def step(index, state):
        trainable, non_trainable, optimizer_values = state
        xb = jax.lax.dynamic_slice_in_dim(x, index * batch, batch)
        yb = jax.lax.dynamic_slice_in_dim(y, index * batch, batch)

        def loss_of(trainable):
            outputs, new = model.stateless_call(trainable, non_trainable, xb, training=True)
            return loss(yb, outputs), new

        (_, non_trainable), gradients = jax.value_and_grad(loss_of, has_aux=True)(trainable)
        trainable, optimizer_values = optimizer.stateless_apply(optimizer_values, gradients, trainable)
        return trainable, non_trainable, optimizer_values

    epoch = jax.jit(lambda state: jax.lax.fori_loop(0, steps, step, state))

    def arm(epochs: int) -> None:
        state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                 [v.value for v in optimizer.variables])
        for _ in range(epochs):
            state = epoch(state)
        jax.block_until_ready(state)

    return arm, steps * batch


def examples_per_second(arms: dict, examples_per_epoch: dict, epochs: tuple[int, int], repeats: int) -> dict[str, float]:
    short, long = epochs
    for arm in arms.values():
        arm(short)  # compilation
    samples = {name: [] for name in arms}
    for _ in range(repeats):
        for name, arm in arms.items():
            start = time.perf_counter()
            arm(short)
            middle = time.perf_counter()
            arm(long)
            samples[name].append(examples_per_epoch[name] * (long - short) / max(time.perf_counter() - 2 * middle + start, 1e-9))
    return {name: statistics.median(values) for name, values in samples.items()}


def workload(name, overrides, build_model, loss, epochs, repeats):
    (x, _), batch = arrays(overrides)
    per_epoch = len(x)
    hand, hand_examples = hand_written_arm(overrides, build_model, loss)
    arms = {
        f"{name}: framework fit": framework_arm(overrides, "strategy=fit"),
        f"{name}: framework tape": framework_arm(overrides),
        f"{name}: plain Keras-on-JAX fit": plain_fit_arm(overrides, build_model, loss),
        f"{name}: hand-written JAX loop": hand,
    }
    counts = {arm: per_epoch for arm in arms} | {f"{name}: hand-written JAX loop": hand_examples}
    return examples_per_second(arms, counts, epochs, repeats)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs (any device)")
    parser.add_argument("--output", type=Path)
    options = parser.parse_args()
    device = jax.devices()[0]
    digits_overrides = ("+experiment=digits_cnn", "logger=none", "verbose=0", "plots=false", "data.val_fraction=0",
                        "data.test_fraction=0")
    global WIDTH
    if options.smoke:
        WIDTH = 64
        digits_overrides += ("data.num_examples=256",)
    mlp = mlp_overrides(examples=512 if options.smoke else 262_144, batch=128 if options.smoke else 4096)
    repeats, epochs = (1, (1, 2)) if options.smoke else (3, (2, 6))
    values = workload("digits CNN", digits_overrides, real_tasks.digits_task().plain_model,
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True), epochs, repeats)

    def mlp_model():
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        layers = [keras.layers.Dense(WIDTH, activation="relu") for _ in range(DEPTH)] + [keras.layers.Dense(1, dtype="float32")]
        return keras.Sequential(layers)

    values |= workload(f"MLP {DEPTH}x{WIDTH} bf16", mlp, mlp_model, keras.losses.MeanSquaredError(), epochs, repeats)
    keras.mixed_precision.set_global_policy("float32")
    parameters = WIDTH + DEPTH * WIDTH + (DEPTH - 1) * WIDTH * WIDTH + WIDTH  # dense kernels, biases, the head
    peak = next((tflops for chip, tflops in PEAK_BF16_TFLOPS.items() if chip in device.device_kind), None)
    lines = [f"Device: {device.device_kind} ({device.platform}); JAX {jax.__version__}, Keras {keras.__version__}.", "",
             "| arm | examples/s | TFLOP/s | of peak |", "|---|---|---|---|"]
    for name, rate in values.items():
        flops = 6 * parameters * rate / 1e12 if "MLP" in name else None
        share = f"{flops / peak:.1%}" if flops is not None and peak else ""
        lines.append(f"| {name} | {rate:,.0f} | {'' if flops is None else f'{flops:.1f}'} | {share} |")
    text = "\n".join(lines) + "\n"
    print(text)
    print(json.dumps(values))
    if options.output:
        options.output.write_text(text)


if __name__ == "__main__":
    main()
