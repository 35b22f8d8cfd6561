"""In-process arms on JAX (run with KERAS_BACKEND=jax): prints one JSON object of rates.

- the framework's hand-written loop on the tutorial (run(cfg), verbose=0, default
  logging) against a hand-written Keras-on-JAX loop on the same arrays and model:
  the model's stateless_call under jax.value_and_grad, the optimizer's
  stateless_apply, every epoch inside one jax.jit + lax.fori_loop (epochs/s);
- the digits CNN: the framework's fit and tape strategies against a plain Keras
  script (model.compile + model.fit on the same arrays), examples/s.

Usage: python jax_arms.py <tutorial short> <tutorial long> <digits short> <digits long> smoke|full <repeats>
"""

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
from framework.config.plan import plan_run  # noqa: E402
from framework.models.linear import LinearModel  # noqa: E402
from framework.run import run  # noqa: E402

TUTORIAL = ("+experiment=seed_linear", "verbose=0", "plots=false")


def framework_tutorial(epochs: int) -> None:
    with tempfile.TemporaryDirectory() as run_dir:
        run(compose([*TUTORIAL, f"epochs={epochs}"]), run_dir)


def hand_written_tutorial():
    x, y = plan_run(compose(list(TUTORIAL))).build("data").held.parts["train"]
    model = LinearModel(5.0, 0.0)
    model.build((None, 1))
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(model.trainable_variables)
    loss = keras.losses.MeanSquaredError()

    def epoch(_, state):
        trainable, optimizer_values = state

        def loss_of(trainable):
            outputs, _ = model.stateless_call(trainable, [], x)
            return loss(y, outputs)

        gradients = jax.grad(loss_of)(trainable)
        return optimizer.stateless_apply(optimizer_values, gradients, trainable)

    epochs_of = jax.jit(lambda state, count: jax.lax.fori_loop(0, count, epoch, state))

    def arm(epochs: int) -> None:
        state = ([v.value for v in model.trainable_variables], [v.value for v in optimizer.variables])
        jax.block_until_ready(epochs_of(state, epochs))

    return arm


def _seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def epochs_per_second(arms: dict, short: int, long: int, repeats: int, warm_up: bool) -> dict[str, float]:
    for arm in arms.values() if warm_up else ():  # compilation and first-run costs
        arm(short)
    samples = {name: [] for name in arms}
    for _ in range(repeats):
        for name, arm in arms.items():
            elapsed = _seconds(lambda: arm(long)) - _seconds(lambda: arm(short))
            samples[name].append((long - short) / max(elapsed, 1e-9))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    tutorial_short, tutorial_long, digits_short, digits_long = (int(value) for value in sys.argv[1:5])
    smoke, repeats = sys.argv[5] == "smoke", int(sys.argv[6])
    values = epochs_per_second(
        {"jax tape, tutorial in-process": framework_tutorial, "hand-written Keras-on-JAX loop": hand_written_tutorial()},
        tutorial_short, tutorial_long, repeats, warm_up=not smoke,
    )
    task = real_tasks.digits_task(300 if smoke else None)
    arms = {
        "digits CNN on JAX, fit strategy": real_tasks.framework_arm(task, "strategy=fit"),
        "digits CNN on JAX, tape strategy": real_tasks.framework_arm(task),
        "digits CNN on JAX, plain Keras script": real_tasks.plain_keras_arm(task),
    }
    values.update(real_tasks.examples_per_second(arms, (digits_short, digits_long), repeats, warm_up=not smoke))
    print(json.dumps(values))


if __name__ == "__main__":
    main()
