"""Top-level run settings: precision, eager execution (debug presets), SavedModel export."""

import numpy as np
import pytest

from framework.errors import ConfigError
from framework.registry import LAYERS


def test_mixed_precision_builds_the_model_under_that_policy_and_still_learns(train):
    from framework.saving import load_model

    mixed = train("precision=mixed_bfloat16", "logger=none")
    full = train("logger=none")
    model = load_model(mixed.run_dir)
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert model.variables[0].dtype == "float32"  # variables stay float32
    assert mixed.metrics["loss"] == pytest.approx(full.metrics["loss"], rel=0.05)
    assert load_model(full.run_dir).dtype_policy.name == "float32"  # the policy does not leak into later runs


def test_unknown_precision_is_a_clear_error(train):
    with pytest.raises(ConfigError, match=r"precision='float8' is invalid: input should be 'float32', 'mixed_bfloat16' or 'mixed_float16'"):
        train("precision=float8")


@pytest.fixture
def eagerness_probe():
    """A layer that records whether each training call ran eagerly."""
    import keras
    import tensorflow as tf

    seen = []

    @LAYERS.register("eagerness_probe")
    class EagernessProbe(keras.layers.Layer):
        def call(self, inputs, training=None):
            if training:
                seen.append(tf.executing_eagerly())
            return inputs

    yield seen
    LAYERS.unregister("eagerness_probe")


@pytest.mark.parametrize("debug, eager", [("debug=eager", True), (None, False)])
def test_debug_eager_runs_training_steps_eagerly(train, eagerness_probe, debug, eager):
    overrides = ["model=sequential", "model.layers=[{name: eagerness_probe}, {name: dense, units: 1}]", "epochs=2", "logger=none"]
    train(*overrides, *([debug] if debug else []))
    assert eagerness_probe and set(eagerness_probe) == {eager}


def test_debug_fast_is_a_few_steps_on_tiny_data(compose_config, train):
    cfg = compose_config("debug=fast")
    assert cfg.epochs <= 3 and cfg.data.num_examples <= 100
    result = train("debug=fast", "data=sine", "logger=none")
    assert result.epochs == cfg.epochs and result.global_step <= 10


def test_saved_model_export_serves_the_same_predictions(train):
    import tensorflow as tf

    from framework.saving import load_model

    result = train("export.saved_model=true", "epochs=2", "logger=none")
    served = tf.saved_model.load(f"{result.run_dir}/saved_model")
    x = np.array([[1.0], [-2.0]], dtype="float32")
    np.testing.assert_allclose(served.serve(tf.constant(x)).numpy(), load_model(result.run_dir)(x), rtol=1e-6)


def test_a_mixed_bfloat16_saved_model_serves_float32_in_and_out(train):
    import tensorflow as tf

    from framework.saving import load_model

    result = train("precision=mixed_bfloat16", "export.saved_model=true", "epochs=2", "logger=none", "plots=false")
    served = tf.saved_model.load(f"{result.run_dir}/saved_model")
    signature = served.signatures["serving_default"]
    (spec,) = signature.structured_input_signature[1].values()
    assert spec.dtype == tf.float32 and [s.dtype for s in signature.structured_outputs.values()] == [tf.float32]
    x = np.array([[1.0], [-2.0]], dtype="float32")
    outputs = served.serve(tf.constant(x))
    assert outputs.dtype == tf.float32
    np.testing.assert_allclose(outputs.numpy(), np.asarray(load_model(result.run_dir)(x), dtype="float32"), rtol=1e-6)


def test_no_saved_model_by_default(train):
    from pathlib import Path

    result = train("epochs=1", "logger=none")
    assert not (Path(result.run_dir) / "saved_model").exists()
