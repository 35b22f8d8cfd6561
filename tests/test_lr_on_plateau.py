"""lr_on_plateau: Keras's ReduceLROnPlateau under both strategies, and the combinations it refuses."""

import logging

import numpy as np
import pytest
from helpers.events import read_scalars
from helpers.runs import run_in

from framework.config.plan import plan_run
from framework.errors import ConfigError

# A learning rate too high to settle, so the loss stalls and the rate is lowered several times.
PLATEAU = (
    "+experiment=seed_linear", "data.batch_size=100", "optimizer.learning_rate=0.9", "epochs=12",
    "lr_on_plateau.enabled=true", "lr_on_plateau.patience=1", "lr_on_plateau.factor=0.5",
    "verbose=2", "plots=false", "checkpoint.every_n_epochs=4",
)


@pytest.fixture(scope="module")
def plateau_runs(tmp_path_factory):
    return {s: run_in(tmp_path_factory.mktemp(s), *PLATEAU, f"strategy={s}") for s in ("tape", "fit")}


@pytest.mark.slow
def test_the_learning_rate_is_lowered_the_same_way_under_both_strategies(plateau_runs):
    tape, fit = plateau_runs["tape"], plateau_runs["fit"]
    curves = {s: read_scalars(f"{r.run_dir}/tensorboard") for s, r in plateau_runs.items()}
    rates = [value for _, value in curves["tape"]["epoch/learning_rate"]]
    assert rates[0] == pytest.approx(0.9) and rates[-1] < 0.9 / 2  # lowered at least twice
    assert all(later <= earlier for earlier, later in zip(rates, rates[1:]))
    assert set(curves["tape"]) == set(curves["fit"])
    for tag, points in curves["tape"].items():
        assert [s for s, _ in points] == [s for s, _ in curves["fit"][tag]], tag
        np.testing.assert_allclose([v for _, v in points], [v for _, v in curves["fit"][tag]], atol=1e-5, err_msg=tag)
    for path, value in tape.variables.items():
        assert value == pytest.approx(fit.variables[path], abs=1e-5)
    assert tape.metrics == pytest.approx(fit.metrics, abs=1e-5)


@pytest.mark.slow
def test_each_reduction_is_announced_in_the_per_epoch_numbering(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="framework")
    run_in(tmp_path, *PLATEAU, "strategy=tape")
    lines = [r.getMessage() for r in caplog.records if r.name == "framework"]
    reductions = [i for i, line in enumerate(lines) if "learning rate lowered" in line]
    assert reductions
    for index in reductions:
        # The announcement follows its epoch's line and carries the same number.
        assert lines[index - 1].startswith(lines[index][:9]) and lines[index].startswith("Epoch "), lines[index - 1 : index + 1]
    assert "loss has not improved for 1 epoch: learning rate lowered from 0.9 to 0.45." in lines[reductions[0]]


@pytest.mark.parametrize(
    "overrides, setting",
    [
        (["optimizer/schedule=cosine"], r"optimizer/schedule=cosine\)"),
        (["optimizer.schedule.warmup_steps=5"], r"optimizer/schedule=constant with optimizer.schedule.warmup_steps=5\)"),
    ],
)
def test_a_scheduled_learning_rate_is_refused(compose_config, overrides, setting):
    with pytest.raises(ConfigError, match=r"lr_on_plateau.enabled=true cannot change a scheduled learning rate \(" + setting
                       + r": the schedule owns the rate. Use either"):
        plan_run(compose_config("lr_on_plateau.enabled=true", *overrides))


def test_bad_values_name_the_key(compose_config):
    with pytest.raises(ConfigError, match=r"lr_on_plateau.factor=1.5 is invalid: input should be less than 1"):
        plan_run(compose_config("lr_on_plateau.factor=1.5"))
