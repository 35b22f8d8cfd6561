"""The things the benchmark times: framework runs and the hand-written code they replace.

Every arm is a function `arm(epochs) -> steps` that trains the tutorial's
workload (y = 3x + 2 + noise, f(x) = x * W + b from W=5, b=0, MSE, SGD at 0.1)
for `epochs` epochs and returns the optimizer steps taken. Arms build what
they need inside the call; the runner times calls at two sizes and divides
the difference, so start-up and tracing cancel out and what remains is the
cost of one more epoch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import numpy as np

Arm = Callable[[int], int]
LEARNING_RATE = 0.1


def framework_arm(*overrides: str) -> Arm:
    """`run(cfg)` on the tutorial experiment with `overrides`, in a throwaway run directory."""
    from framework.config import compose
    from framework.run import run

    def arm(epochs: int) -> int:
        # The end-of-run pictures are a cost per run, which the marginal rate cancels: not drawn.
        cfg = compose(["+experiment=seed_linear", "verbose=0", "plots=false", f"epochs={epochs}", *overrides])
        with tempfile.TemporaryDirectory() as run_dir:
            return run(cfg, run_dir).global_step

    return arm


def tutorial_data(num_examples: int = 1000):
    import tensorflow as tf

    x = tf.random.stateless_normal([num_examples, 1], seed=[1, 2])
    y = x * 3.0 + 2.0 + tf.random.stateless_normal([num_examples, 1], seed=[3, 4])
    return x, y


def eager_tutorial_loop(epochs: int) -> int:
    """The tutorial's loop: an eager GradientTape step per epoch on plain variables."""
    import tensorflow as tf

    x, y = tutorial_data()
    w, b = tf.Variable(5.0), tf.Variable(0.0)
    for _ in range(epochs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - (x * w + b)))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(LEARNING_RATE * dw)
        b.assign_sub(LEARNING_RATE * db)
    return epochs


def hand_written_graph_loop(steps_per_call: int) -> Arm:
    """The best hand-written TensorFlow: K full-batch Keras steps per tf.function call,
    writing to TensorBoard from inside the graph, every epoch, the curves the
    framework's default logger writes for this model: loss, learning rate, W and b."""

    def arm(epochs: int) -> int:
        import keras
        import tensorflow as tf

        from framework.models import LinearModel

        x, y = tutorial_data()
        model = LinearModel(5.0, 0.0)
        model(x[:1])
        optimizer = keras.optimizers.SGD(LEARNING_RATE)
        loss_fn = keras.losses.MeanSquaredError()
        with tempfile.TemporaryDirectory() as log_dir:
            writer = tf.summary.create_file_writer(log_dir)

            @tf.function
            def train_epochs(count):
                for _ in tf.range(count):
                    with tf.GradientTape() as tape:
                        loss = loss_fn(y, model(x, training=True))
                    gradients = tape.gradient(loss, model.trainable_variables)
                    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
                    with writer.as_default(step=optimizer.iterations):
                        tf.summary.scalar("loss", loss)
                        tf.summary.scalar("learning_rate", optimizer.learning_rate)
                        tf.summary.scalar("W", model.W)
                        tf.summary.scalar("b", model.b)

            for start in range(0, epochs, steps_per_call):
                train_epochs(tf.constant(min(steps_per_call, epochs - start)))
            writer.close()
        return int(optimizer.iterations.numpy())

    return arm


def raw_fit_on_arrays(epochs: int) -> int:
    """`model.fit(x, y, epochs=E)` as the tutorial uses it: arrays, one full batch per epoch."""
    import keras

    from framework.models import LinearModel

    x, y = tutorial_data()
    model = LinearModel(5.0, 0.0)
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss=keras.losses.MeanSquaredError(), jit_compile=False)
    model.fit(x, y, epochs=epochs, batch_size=1000, verbose=0)
    return int(model.optimizer.iterations.numpy())


def raw_fit_like_the_strategy(epochs: int) -> int:
    """`model.fit` with exactly the fit strategy's inputs and compile arguments, and nothing else."""
    import keras

    from framework.backends.tensorflow.examples import (
        TensorFlowExamples,
        training_dataset,
    )
    from framework.data import LinearRegressionData
    from framework.models import LinearModel

    data = LinearRegressionData(1, 3.0, 2.0, 1.0, num_examples=1000, batch_size=1000, val_fraction=0.0, test_fraction=0.0, shuffle=False, seed=42, normalize=False, streaming=False)
    model = LinearModel(5.0, 0.0)
    model(data.sample(1)[0])
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss=keras.losses.MeanSquaredError(), jit_compile=False)
    model.fit(training_dataset(TensorFlowExamples(data), epochs), epochs=epochs, steps_per_epoch=data.steps_per_epoch, verbose=0, shuffle=False)
    return int(model.optimizer.iterations.numpy())


def numpy_sgd(num_examples: int) -> Arm:
    """A hand-written NumPy full-batch SGD step for the same model and loss."""

    def arm(epochs: int) -> int:
        rng = np.random.default_rng(0)
        x = rng.standard_normal(num_examples, dtype=np.float32)
        y = 3.0 * x + 2.0 + rng.standard_normal(num_examples, dtype=np.float32)
        w, b = np.float32(5.0), np.float32(0.0)
        for _ in range(epochs):
            error = x * w + b - y
            w -= np.float32(LEARNING_RATE) * np.float32(2.0) * np.mean(error * x)
            b -= np.float32(LEARNING_RATE) * np.float32(2.0) * np.mean(error)
        return epochs

    return arm
