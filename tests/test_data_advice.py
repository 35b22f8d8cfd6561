"""Settings that run but make little sense for the data draw one warning (console and
train.log), before training: gradient accumulation over more batches than an epoch
holds, and raw pixel values reaching a model that does not scale them."""

import logging

import numpy as np
import pytest

QUICK = ("epochs=2", "logger=none", "plots=false", "verbose=0")


def _warnings(caplog, text: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING and text in record.getMessage()]


@pytest.mark.parametrize("batch_size, warned", [(1000, True), (100, False)])
def test_accumulation_over_more_batches_than_an_epoch_holds_is_warned_once(train, caplog, batch_size, warned):
    with caplog.at_level(logging.WARNING, logger="framework"):
        train("+experiment=seed_linear", f"data.batch_size={batch_size}", "optimizer.gradient_accumulation_steps=2", *QUICK)
    found = _warnings(caplog, "optimizer.gradient_accumulation_steps=2, but an epoch holds")
    if warned:
        assert found == [
            "Warning: optimizer.gradient_accumulation_steps=2, but an epoch holds 1 batch(es) of 1000 examples: one update "
            "spans 2 epochs, so the weights change only every 2 epochs (their epoch lines repeat). Use a data.batch_size "
            "of at most 500 (the training examples over the accumulation steps) or fewer accumulation steps."
        ]
    else:
        assert found == []


@pytest.fixture
def pixels(tmp_path):
    """8x8 images with pixel values 0..255, and class ids."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "pixels.npz", x=rng.integers(0, 256, (40, 8, 8)).astype(np.float32), y=rng.integers(0, 2, 40))
    return tmp_path / "pixels.npz"


@pytest.mark.parametrize("normalize, warned", [("false", True), ("true", False)])
def test_raw_pixels_reaching_a_model_that_does_not_scale_them_are_warned_once(train, caplog, pixels, normalize, warned):
    with caplog.at_level(logging.WARNING, logger="framework"):
        train("data=numpy", f"data.path={pixels}", f"data.normalize={normalize}", "model=sequential",
              "model.layers=[{name: flatten}, {name: dense, units: 2}]", "loss=sparse_categorical_crossentropy",
              "loss.from_logits=true", *QUICK)
    found = _warnings(caplog, "the model does not scale them")
    assert len(found) == (1 if warned else 0), found
    if warned:
        assert found[0].startswith("Warning: the inputs reach 255 (pixel values?)")
        assert found[0].endswith("Set data.normalize=true, or begin model.layers with {name: rescaling, scale: 0.00392157}.")
