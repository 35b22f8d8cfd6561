"""Optimizers and learning-rate schedules built from config."""

import keras
import numpy as np
import pytest
from helpers.events import read_scalars

from framework.errors import ConfigError, UnknownComponentError


def _build_optimizer(compose_config, *overrides):
    from omegaconf import OmegaConf

    from framework.plugins import load_plugins
    from framework.registry import OPTIMIZERS

    load_plugins()
    spec = OmegaConf.to_container(compose_config(*overrides).optimizer, resolve=True)
    return OPTIMIZERS.build(spec, where="optimizer")


@pytest.mark.parametrize(
    "name, keras_class",
    [("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop")],
)
def test_every_optimizer_config_builds_its_keras_optimizer(compose_config, name, keras_class):
    optimizer = _build_optimizer(compose_config, f"optimizer={name}", "optimizer.learning_rate=0.02")
    assert type(optimizer) is getattr(keras.optimizers, keras_class)
    assert float(optimizer.learning_rate) == pytest.approx(0.02)


def _rates(schedule, steps):
    return [float(schedule(step)) for step in steps]


def test_cosine_schedule_warms_up_linearly_then_decays_to_alpha(compose_config):
    optimizer = _build_optimizer(
        compose_config,
        "optimizer/schedule=cosine",
        "optimizer.learning_rate=0.1",
        "optimizer.schedule.warmup_steps=4",
        "optimizer.schedule.decay_steps=10",
        "optimizer.schedule.alpha=0.1",
    )
    rates = _rates(optimizer._learning_rate, range(0, 16))
    np.testing.assert_allclose(rates[:5], [0.0, 0.025, 0.05, 0.075, 0.1], atol=1e-7)
    np.testing.assert_allclose(rates[9], 0.01 + 0.09 * 0.5 * (1 + np.cos(np.pi * 5 / 10)), rtol=1e-5)
    np.testing.assert_allclose(rates[14:], [0.01, 0.01], rtol=1e-5)


def test_piecewise_schedule_scales_the_learning_rate_by_factors(compose_config):
    optimizer = _build_optimizer(
        compose_config,
        "optimizer/schedule=piecewise",
        "optimizer.learning_rate=0.2",
        "optimizer.schedule.boundaries=[2,4]",
        "optimizer.schedule.factors=[1.0,0.5,0.1]",
    )
    np.testing.assert_allclose(_rates(optimizer._learning_rate, [0, 2, 3, 4, 5]), [0.2, 0.2, 0.1, 0.1, 0.02], rtol=1e-6)


def test_exponential_schedule_with_warmup_starts_decaying_after_warmup(compose_config):
    optimizer = _build_optimizer(
        compose_config,
        "optimizer=adam",
        "optimizer/schedule=exponential",
        "optimizer.learning_rate=0.01",
        "optimizer.schedule.warmup_steps=2",
        "optimizer.schedule.decay_steps=1",
        "optimizer.schedule.decay_rate=0.5",
    )
    np.testing.assert_allclose(_rates(optimizer._learning_rate, [0, 1, 2, 3, 4]), [0, 0.005, 0.01, 0.005, 0.0025], rtol=1e-6)


def test_constant_schedule_without_warmup_is_the_plain_learning_rate(compose_config):
    optimizer = _build_optimizer(compose_config, "optimizer.learning_rate=0.3")
    assert isinstance(optimizer._learning_rate, keras.Variable)  # Keras keeps a float rate in a variable


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        (["optimizer.schedule.name=cosin"], UnknownComponentError, r"optimizer.schedule.name: unknown learning-rate schedule 'cosin'.*Did you mean 'cosine'"),
        (["optimizer/schedule=piecewise", "optimizer.schedule.factors=[1.0]"], ConfigError, r"factors needs one more entry than boundaries: got 1 factors for 2 boundaries"),
        (["optimizer/schedule=piecewise", "optimizer.schedule.boundaries=[5,3]"], ConfigError, r"boundaries must increase strictly; got \[5, 3\]"),
        (["optimizer/schedule=cosine", "optimizer.schedule.decay_steps=0"], ConfigError, r"optimizer.schedule.decay_steps=0 is invalid: input should be greater than or equal to 1"),
        (["optimizer=adamw", "optimizer.weight_decay=-1"], ConfigError, r"optimizer.weight_decay=-1(\.0)? is invalid: input should be greater than or equal to 0"),
    ],
)
def test_bad_optimizer_or_schedule_config_is_a_clear_error(compose_config, overrides, error, message):
    with pytest.raises(error, match=message):
        _build_optimizer(compose_config, *overrides)


def test_scheduled_run_logs_the_schedule_and_its_model_reloads(train):
    from framework.optimizers.schedules import LinearWarmup
    from framework.saving import load_model

    result = train(
        "optimizer/schedule=cosine",
        "optimizer.schedule.warmup_steps=2",
        "optimizer.schedule.decay_steps=4",
        "epochs=6",
    )
    rates = dict(read_scalars(f"{result.run_dir}/tensorboard")["epoch/learning_rate"])
    # Full batch: one step per epoch; the rate is logged after step `step` was taken.
    assert rates[1] == pytest.approx(0.05) and rates[2] == pytest.approx(0.1)
    assert rates[4] == pytest.approx(0.05, rel=1e-5) and rates[6] == pytest.approx(0.0, abs=1e-7)
    reloaded = load_model(result.run_dir)
    assert isinstance(reloaded.optimizer._learning_rate, LinearWarmup)
    assert float(reloaded.optimizer._learning_rate(3)) == pytest.approx(0.1 * 0.5 * (1 + np.cos(np.pi / 4)), rel=1e-5)
