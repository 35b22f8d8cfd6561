"""A trained run as the start of another: init_from, freezing, restore_best_weights."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.data_files import iris_csv
from helpers.events import read_scalars
from helpers.runs import run_in

from framework.errors import ConfigError, InputError

HEAD_3 = "model.layers=[{name: dense, units: 16, activation: relu}, {name: dense, units: 3}]"


def classifier(csv, *overrides, model=("model=sequential", HEAD_3)):
    """A two-layer classifier on an iris CSV file (class names in `species`), inputs normalized in the model."""
    return (
        "data=csv", f"data.path={csv}", "data.target=species", "data.normalize=true", "data.batch_size=16",
        "data.test_fraction=0.2", *model, "loss=sparse_categorical_crossentropy",
        "loss.from_logits=true", "metrics=[accuracy]", "optimizer=adam", "optimizer.learning_rate=0.02",
        "logger=none", "verbose=0", "plots=false", *overrides,
    )


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    return iris_csv(tmp_path_factory.mktemp("data") / "iris.csv")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, iris):
    """The run fine-tuning starts from: 15 epochs, about 0.97 accuracy."""
    return run_in(tmp_path_factory.mktemp("trained") / "run", *classifier(iris, "epochs=15"))


def _weights(run_dir):
    from framework.models.layer_tree import layer_units
    from framework.saving import load_model

    return {name: layer.get_weights() for name, layer in layer_units(load_model(run_dir)).items()}


@pytest.mark.parametrize("frozen, strategy", [
    ("freeze=[dense]", "tape"),
    ("model.layers=[{name: dense, units: 16, activation: relu, trainable: false}, {name: dense, units: 3}]", "fit"),
])
def test_a_fine_tuned_run_starts_at_the_trained_accuracy_with_its_frozen_layer_unchanged(trained, iris, tmp_path, frozen, strategy):
    tuned = run_in(tmp_path / "tuned", *classifier(iris, "epochs=1", f"init_from={trained.run_dir}", frozen, f"strategy={strategy}"))
    fresh = run_in(tmp_path / "fresh", *classifier(iris, "epochs=1", frozen, f"strategy={strategy}"))
    # The first epoch's accuracy is measured while it trains: from the trained weights, not from scratch.
    assert tuned.metrics["accuracy"] >= trained.metrics["accuracy"] - 0.05
    assert fresh.metrics["accuracy"] < trained.metrics["accuracy"] - 0.1
    before, after = _weights(trained.run_dir), _weights(tuned.run_dir)
    for old, new in zip(before["dense"], after["dense"]):
        np.testing.assert_array_equal(old, new)  # frozen: loaded, then left as it was
    assert not np.array_equal(before["dense_1"][0], after["dense_1"][0])  # the head trained on
    assert tuned.parameters["trainable"] == 16 * 3 + 3
    assert tuned.init_from == {
        "run": str(trained.run_dir), "loaded": ["dense", "dense_1"], "new": [], "refitted": [], "unused": [],
    }
    summary = json.loads(Path(tuned.run_dir, "summary.json").read_text())
    assert summary["init_from"] == json.loads(Path(tuned.run_dir, "init_from.json").read_text()) == tuned.init_from


def test_a_fine_tuned_run_is_another_experiment_than_a_fresh_one(trained, iris, tmp_path):
    tuned = run_in(tmp_path / "tuned", *classifier(iris, "epochs=1", f"init_from={trained.run_dir}"))
    fingerprint = json.loads(Path(tuned.run_dir, "checkpoints", "experiment.json").read_text())
    assert fingerprint["config"]["init_from"] == str(trained.run_dir)
    original = json.loads(Path(trained.run_dir, "checkpoints", "experiment.json").read_text())
    assert original["config"]["init_from"] is None


def test_a_head_of_another_size_stops_the_run_unless_not_strict(trained, tmp_path):
    two_classes = iris_csv(tmp_path / "two.csv", species=("setosa", "versicolor"))
    head_2 = "model.layers=[{name: dense, units: 16, activation: relu}, {name: dense, units: 2}]"
    with pytest.raises(ConfigError, match=r"init_from=.*: these layers have the same name there but weights of other shapes.*"
                       r"dense_1: Dense \[\(16, 3\), \(3,\)\] there, Dense \[\(16, 2\), \(2,\)\] here. Set init_from_strict=false"):
        run_in(tmp_path / "strict", *classifier(two_classes, "epochs=1", head_2, f"init_from={trained.run_dir}"))
    tuned = run_in(tmp_path / "loose", *classifier(two_classes, "epochs=1", head_2, f"init_from={trained.run_dir}", "init_from_strict=false"))
    assert tuned.init_from["loaded"] == ["dense"] and tuned.init_from["refitted"] == ["dense_1"]


def test_a_model_with_no_layer_of_the_same_name_loads_nothing_and_stops(trained, iris, tmp_path):
    with pytest.raises(ConfigError, match=r"no layer of this model takes trained weights from that run's model.*"
                       r"Its layers: dense, dense_1; this model's: my_dense_layer"):
        run_in(tmp_path / "run", *classifier(iris, "epochs=1", f"init_from={trained.run_dir}", model=["model=my_dense", "model.num_outputs=3"]))


def test_init_from_a_run_that_failed_shows_why_and_suggests_resume(trained, iris, tmp_path):
    failed = tmp_path / "failed"
    shutil.copytree(trained.run_dir, failed)
    (failed / "model.keras").unlink()
    (failed / "summary.json").unlink()
    (failed / "FAILED").write_text("NonFiniteLossError: The training loss became nan at step 3\n")
    with pytest.raises(InputError, match=r"init_from=.*failed: there is no model.keras in it: the run failed \(NonFiniteLossError: "
                       r"The training loss became nan at step 3\). Fix that, then finish it with python -m framework.train resume="):
        run_in(tmp_path / "run", *classifier(iris, "epochs=1", f"init_from={failed}"))


def test_a_pattern_that_freezes_nothing_names_the_layers(iris, tmp_path):
    with pytest.raises(ConfigError, match=r"freeze: 'conv\*' matches no layer of the model. Its layers: normalization, sequential, dense, dense_1"):
        run_in(tmp_path / "run", *classifier(iris, "epochs=1", "freeze=[conv*]"))


def test_a_resumed_fine_tuned_run_continues_from_its_own_checkpoint(trained, iris, tmp_path):
    from framework.config import compose
    from framework.run import run

    source = tmp_path / "source"
    shutil.copytree(trained.run_dir, source)
    overrides = classifier(iris, f"init_from={source}", "freeze=[dense]")
    first = run_in(tmp_path / "run", *overrides, "epochs=2")
    shutil.rmtree(source)  # a resumed run takes its weights from its own checkpoint
    resumed = run(compose([*overrides, "epochs=3", f"resume={first.run_dir}"]), first.run_dir)
    assert resumed.epochs == 3 and resumed.init_from == first.init_from
    for old, new in zip(_weights(first.run_dir)["dense"], _weights(resumed.run_dir)["dense"]):
        np.testing.assert_array_equal(old, new)


# Early stopping that stops after epoch 8 of 30; val_loss is lowest at epoch 6 (index 5).
STOPPING = ("optimizer.learning_rate=0.1", "early_stopping.monitor=val_loss", "early_stopping.patience=2")


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_restore_best_weights_ends_with_the_best_epochs_weights_and_tests_them(iris, tmp_path, strategy):
    stopped = run_in(tmp_path / "stopped", *classifier(
        iris, *STOPPING, "epochs=30", f"strategy={strategy}", "logger=tensorboard", "early_stopping.enabled=true",
        "early_stopping.restore_best_weights=true",
    ))
    val_loss = [value for _, value in read_scalars(f"{stopped.run_dir}/tensorboard")["epoch/val_loss"]]
    best = int(np.argmin(val_loss))
    assert stopped.epochs == len(val_loss) < 30 and best < stopped.epochs - 1  # stopped, and not at its best
    # The same run trained to its best epoch only: its final weights are the best epoch's.
    to_best = run_in(tmp_path / "to_best", *classifier(iris, *STOPPING, f"epochs={best + 1}", f"strategy={strategy}"))
    for (name, restored), (_, expected) in zip(_weights(stopped.run_dir).items(), _weights(to_best.run_dir).items()):
        for a, b in zip(restored, expected):
            np.testing.assert_allclose(a, b, atol=1e-6, err_msg=name)
    assert stopped.metrics["test_loss"] == pytest.approx(to_best.metrics["test_loss"], abs=1e-5)
    assert stopped.metrics["val_loss"] == pytest.approx(val_loss[-1])  # the logs stay the last epoch's
    # The last checkpoint keeps the last epoch's weights, so a resume trains on from where it stopped.
    from framework.checkpoints.run_checkpoint import read_checkpoint

    checkpoint = read_checkpoint(Path(stopped.run_dir, "checkpoints", f"ckpt-{stopped.epochs}.npz"))
    heads = [value for value in checkpoint["model"].values() if value.shape == (16, 3)]
    assert len(heads) == 1 and not np.allclose(heads[0], _weights(stopped.run_dir)["dense_1"][0])


def test_restore_best_weights_with_a_weight_average_is_refused(compose_config):
    from framework.config.plan import plan_run

    with pytest.raises(ConfigError, match=r"early_stopping.restore_best_weights=true cannot be used with optimizer.use_ema=true"):
        plan_run(compose_config("early_stopping.enabled=true", "early_stopping.restore_best_weights=true", "optimizer.use_ema=true"))
