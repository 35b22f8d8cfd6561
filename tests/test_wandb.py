"""logger=wandb with the real W&B client in offline mode (no network): config, the loss
history at the global step, summary and artifacts under both strategies, the same W&B
run continued by a resume, multirun jobs grouped, and a W&B failure that costs no run.
Each offline run is read back from its own transaction log (helpers.wandb_records)."""

import json
import logging
from pathlib import Path

import pytest
from helpers.events import read_scalars
from helpers.runs import run_in
from helpers.wandb_records import offline_runs, read_offline_run

from framework.config import compose
from framework.errors import ConfigError
from framework.registry import CALLBACKS
from framework.sweeps import SweepJob

MINIBATCHES = ("data.num_examples=64", "data.batch_size=16", "data.val_fraction=0.25", "epochs=4", "verbose=0")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")


def _into(folder: Path) -> str:
    """The override recording into `folder` (W&B reads $WANDB_DIR once per process, so tests name the folder)."""
    return f"logger.wandb.dir={folder}"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The minibatch run under each strategy with TensorBoard and W&B, each into its own W&B folder."""
    root = tmp_path_factory.mktemp("wandb")
    results = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WANDB_MODE", "offline")
        monkeypatch.setenv("WANDB_SILENT", "true")
        for strategy in ("tape", "fit"):
            result = run_in(root / strategy, *MINIBATCHES, "logger=[tensorboard,wandb]", _into(root / f"wandb-{strategy}"),
                            f"strategy={strategy}")
            (folder,) = offline_runs(root / f"wandb-{strategy}")
            results[strategy] = (result, read_offline_run(folder))
    return results


def _epochs(run) -> list[dict]:
    return [record for record in run.history if "epoch" in record]


def test_offline_run_has_the_loss_history_at_the_global_step_equal_under_both_strategies(both):
    for strategy, (result, run) in both.items():
        assert Path(result.run_dir, "wandb_run_id").read_text().strip() == run.run_id
        epochs = _epochs(run)
        assert [record["epoch"] for record in epochs] == [0, 1, 2, 3]
        assert [record["global_step"] for record in epochs] == [3, 6, 9, 12]  # 48 training examples, batches of 16
        tensorboard = dict(read_scalars(Path(result.run_dir, "tensorboard"))["epoch/loss"])
        for record in epochs:
            assert record["loss"] == pytest.approx(tensorboard[record["global_step"]], abs=1e-6)
            assert {"val_loss", "learning_rate"} <= set(record)
        assert epochs[-1]["loss"] == pytest.approx(result.metrics["loss"], abs=1e-6)
    tape, fit = (_epochs(both[strategy][1]) for strategy in ("tape", "fit"))
    assert [r["loss"] for r in tape] == pytest.approx([r["loss"] for r in fit], abs=1e-5)


def test_offline_run_has_the_config_summary_and_artifacts(both):
    for strategy, (result, run) in both.items():
        assert run.config["optimizer"]["learning_rate"] == 0.1 and run.config["strategy"]["name"] == strategy
        summary = json.loads(Path(result.run_dir, "summary.json").read_text())
        assert run.summary["loss"] == pytest.approx(summary["metrics"]["loss"])
        assert run.summary["objective"] == pytest.approx(summary["objective"])
        (name, kind, files), = run.artifacts
        assert name == f"model-{run.run_id}" and kind == "model" and {"model.keras", "summary.json"} <= set(files)
        assert any(key.startswith("plots/") for record in run.history for key in record)  # the plots, as images
        assert run.exit_code == 0 and run.group == ""  # a single run is in no group


def test_resume_continues_the_same_wandb_run(tmp_path):
    run_dir = tmp_path / "run"
    overrides = (*MINIBATCHES, "logger=wandb", _into(tmp_path), "plots=false")
    run_in(run_dir, *overrides, "epochs=2")
    first_id = (run_dir / "wandb_run_id").read_text()
    run_in(run_dir, *overrides, "epochs=4", f"resume={run_dir}")
    assert (run_dir / "wandb_run_id").read_text() == first_id
    first, resumed = (read_offline_run(folder) for folder in offline_runs(tmp_path))
    assert first.run_id == resumed.run_id == first_id.strip()
    assert [r["epoch"] for r in _epochs(first)] == [0, 1] and [r["epoch"] for r in _epochs(resumed)] == [2, 3]
    assert [r["global_step"] for r in _epochs(resumed)] == [9, 12]


def test_multirun_jobs_are_grouped_by_their_sweep(tmp_path):
    from framework.run import run

    run(compose([*MINIBATCHES, "epochs=1", "logger=wandb", _into(tmp_path), "plots=false"]), tmp_path / "job", sweep=SweepJob("multirun/2026-01-31/12-00-00", 3))
    (folder,) = offline_runs(tmp_path)
    assert read_offline_run(folder).group == "multirun/2026-01-31/12-00-00"


@pytest.fixture
def wandb_breaker():
    """A plugin callback that finishes the W&B run after epoch 1, as a W&B failure would leave it."""
    import keras
    import wandb

    @CALLBACKS.register("test_wandb_breaker")
    class WandbBreaker(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                wandb.run.finish()

    yield
    CALLBACKS.unregister("test_wandb_breaker")


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_wandb_failure_mid_run_is_a_warning_and_the_run_finishes(tmp_path, wandb_breaker, caplog, strategy):
    with caplog.at_level(logging.WARNING, logger="framework"):
        result = run_in(tmp_path / "run", *MINIBATCHES, "logger=[tensorboard,wandb]", _into(tmp_path), "callbacks=[test_wandb_breaker]",
                        f"strategy={strategy}")
    assert result.epochs == 4 and Path(result.run_dir, "summary.json").is_file() and Path(result.run_dir, "model.keras").is_file()
    assert "W&B failed (UsageError: " in caplog.text and "the run goes on without W&B" in caplog.text
    assert len(read_scalars(Path(result.run_dir, "tensorboard"))["epoch/loss"]) == 4  # the other loggers go on
    (folder,) = offline_runs(tmp_path)
    recorded = [r["epoch"] for r in _epochs(read_offline_run(folder))]
    # Nothing after the failure; fit hands records over in batches, so it may not have sent epochs 0 and 1 yet.
    assert recorded == [0, 1] if strategy == "tape" else recorded in ([], [0], [0, 1])


def test_wandb_that_cannot_start_is_an_error_before_training(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc with a key
    with pytest.raises(ConfigError, match=r"logger=wandb: W&B cannot start a run \(UsageError: .*WANDB_MODE=offline"):
        run_in(tmp_path / "run", *MINIBATCHES, "logger=wandb", _into(tmp_path), "logger.wandb.mode=online")
    # As with any error before training: the run is marked failed and holds no checkpoint, model or summary.
    assert (tmp_path / "run" / "FAILED").is_file() and not list((tmp_path / "run").glob("checkpoints/ckpt-*"))
    assert not (tmp_path / "run" / "summary.json").exists()
