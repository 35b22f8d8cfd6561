"""Every preset in experiments/ runs, at tiny size, under both strategies."""

import importlib.resources

import pytest

PRESETS = sorted(
    r.name.removesuffix(".yaml") for r in importlib.resources.files("framework.experiments").iterdir() if r.name.endswith(".yaml")
)


def test_the_documented_presets_exist():
    assert {"seed_linear", "seed_dense", "spirals_mlp", "iris_mlp", "digits_cnn"} <= set(PRESETS)


@pytest.mark.parametrize("strategy", ["tape", "fit"])
@pytest.mark.parametrize("preset", PRESETS)
def test_preset_runs_at_tiny_size(train, preset, strategy):
    result = train(f"+experiment={preset}", f"strategy={strategy}", "epochs=2", "data.num_examples=64")
    assert result.epochs == 2 and result.global_step >= 2
    assert all(value == value for value in result.metrics.values())  # finite, not NaN
