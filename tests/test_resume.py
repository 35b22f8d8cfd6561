"""Checkpoints and resume through run(cfg): cadence, keep, exact continuation under
either strategy, TensorBoard without rewound steps, damaged checkpoints."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.events import read_scalars
from helpers.runs import run_in

from framework.errors import CheckpointError, ResumeError

# Shuffled minibatches, validation and a Dropout layer: resuming must restore the
# data position, the optimizer (Adam moments) and Dropout's seed-generator state.
DROPOUT_RUN = (
    "data=sine", "data.num_examples=64", "data.batch_size=16", "model=sequential",
    "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dropout, rate: 0.3}, {name: dense, units: 1}]",
    "optimizer=adam", "optimizer.learning_rate=0.01", "epochs=6", "checkpoint.every_n_epochs=2", "verbose=0",
)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The dropout run trained in one go under each strategy."""
    return {
        strategy: run_in(tmp_path_factory.mktemp(f"whole-{strategy}"), *DROPOUT_RUN, f"strategy={strategy}")
        for strategy in ("tape", "fit")
    }


def _killed_after_epoch_4(train_in, strategy):
    """A run that wrote events up to epoch 6 but whose newest intact checkpoint is
    epoch 4, as if killed while writing the last one."""
    result = train_in(*DROPOUT_RUN, f"strategy={strategy}")
    for path in Path(result.run_dir, "checkpoints").glob("ckpt-6.*"):
        path.unlink()
    return result.run_dir


@pytest.fixture
def train_in(compose_config, tmp_path):
    from framework.run import run

    def _train(*overrides, run_dir=tmp_path / "run"):
        return run(compose_config(*overrides), run_dir)

    return _train


def test_checkpoints_every_n_epochs_and_at_the_end_keeping_the_last_k(train_in, tmp_path):
    train_in("+experiment=seed_linear", "epochs=7", "checkpoint.every_n_epochs=2", "checkpoint.keep=2", "verbose=0")
    files = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert files == ["ckpt-6.npz", "ckpt-6.state.json", "ckpt-7.npz", "ckpt-7.state.json", "experiment.json"]


@pytest.mark.slow
def test_checkpoint_holds_every_model_variable_including_dropout_seed_state(uninterrupted):
    from framework.checkpoints.run_checkpoint import read_checkpoint

    saved = read_checkpoint(Path(uninterrupted["tape"].run_dir, "checkpoints", "ckpt-6.npz"))
    # 4 trainable, Dropout's seed-generator state, Adam's iterations, learning rate and 2x4 moments.
    assert len(saved["model"]) == 5 and any("seed_generator" in path for path in saved["model"])
    assert len(saved["optimizer"]) == 2 + 2 * 4


@pytest.mark.slow
@pytest.mark.parametrize("first, then", [("tape", "tape"), ("fit", "fit"), ("tape", "fit"), ("fit", "tape")])
def test_resumed_run_ends_with_the_uninterrupted_weights(train_in, uninterrupted, first, then, tmp_path):
    run_dir = _killed_after_epoch_4(train_in, first)
    resumed = train_in(*DROPOUT_RUN, f"strategy={then}", f"resume={run_dir}", run_dir=run_dir)
    whole = uninterrupted[then]
    assert resumed.global_step == whole.global_step == 6 * 4 and resumed.epochs == 6
    for path, value in whole.variables.items():
        np.testing.assert_allclose(resumed.variables[path], value, atol=1e-5, err_msg=path)
    assert resumed.metrics == pytest.approx(whole.metrics, abs=1e-5)


@pytest.mark.slow
def test_resumed_tensorboard_curves_have_no_duplicated_or_rewound_steps(train_in, uninterrupted):
    run_dir = _killed_after_epoch_4(train_in, "tape")
    train_in(*DROPOUT_RUN, "strategy=tape", f"resume={run_dir}", run_dir=run_dir)
    resumed = read_scalars(f"{run_dir}/tensorboard")
    whole = read_scalars(f"{uninterrupted['tape'].run_dir}/tensorboard")
    assert [s for s, _ in whole["epoch/loss"]] == [4, 8, 12, 16, 20, 24]
    assert set(resumed) == set(whole)
    for tag, points in whole.items():
        assert [s for s, _ in resumed[tag]] == [s for s, _ in points], tag
        np.testing.assert_allclose([v for _, v in resumed[tag]], [v for _, v in points], atol=1e-5, err_msg=tag)


def test_partial_files_of_an_unfinished_save_are_never_restored(train_in, tmp_path):
    run_dir = tmp_path / "run"
    train_in("+experiment=seed_linear", "epochs=4", "checkpoint.every_n_epochs=2", "verbose=0")
    # What a kill in the middle of saving epoch 9 leaves: its state, and the variables under a temporary name.
    (run_dir / "checkpoints" / "ckpt-9.state.json").write_text("{}\n")
    (run_dir / "checkpoints" / ".partial-ckpt-9.npz").write_bytes(b"\x00garbage")
    result = train_in("+experiment=seed_linear", "epochs=6", "checkpoint.every_n_epochs=2", "verbose=0", f"resume={run_dir}")
    assert result.global_step == 6 and result.epochs == 6


def test_damaged_newest_checkpoint_is_a_clear_error_and_leaves_the_finished_run_as_it_was(train_in, tmp_path):
    run_dir = tmp_path / "run"
    train_in("+experiment=seed_linear", "epochs=4", "checkpoint.every_n_epochs=2", "verbose=0")
    data = run_dir / "checkpoints" / "ckpt-4.npz"
    data.write_bytes(data.read_bytes()[:5])
    summary = (run_dir / "summary.json").read_text()
    with pytest.raises(CheckpointError, match=r"the checkpoint .*ckpt-4\.npz cannot be restored: .*delete its files \(ckpt-4\.\*\)"):
        train_in("+experiment=seed_linear", "epochs=6", "verbose=0", f"resume={run_dir}")
    # A failed resume attempt never marks a finished run FAILED nor touches its results.
    assert not (run_dir / "FAILED").exists() and (run_dir / "summary.json").read_text() == summary
    # Following the advice resumes from the checkpoint before it.
    for path in (run_dir / "checkpoints").glob("ckpt-4.*"):
        path.unlink()
    result = train_in("+experiment=seed_linear", "epochs=6", "verbose=0", f"resume={run_dir}")
    assert result.global_step == 6 and not (run_dir / "FAILED").exists()


def test_resuming_a_finished_run_does_nothing_and_returns_its_summary(train_in, tmp_path, caplog):
    first = train_in("+experiment=seed_linear", "epochs=2", "verbose=0")
    run_dir = tmp_path / "run"
    before = {path.name: path.stat().st_mtime_ns for path in run_dir.rglob("*") if path.is_file()}
    with caplog.at_level("INFO", logger="framework"):
        again = train_in("+experiment=seed_linear", "epochs=2", "verbose=0", f"resume={run_dir}")
    assert again == first
    assert "already finished its 2 epochs; nothing to do" in caplog.text
    after = {path.name: path.stat().st_mtime_ns for path in run_dir.rglob("*") if path.is_file()}
    assert {name: after[name] for name in before} == before  # nothing rewritten


def test_resume_counts_epochs_from_0_as_the_epoch_lines_do(train_in, tmp_path, caplog):
    run_dir = tmp_path / "run"
    train_in("+experiment=seed_linear", "epochs=3", "verbose=0", "logger=none", "plots=false")
    with caplog.at_level("INFO", logger="framework"):
        train_in("+experiment=seed_linear", "epochs=4", "verbose=2", "logger=none", "plots=false", f"resume={run_dir}")
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("Resuming after epoch 2 (3 epochs done, step 3) from ") for line in lines), lines
    assert [line[:9] for line in lines if line.startswith("Epoch")] == ["Epoch  3:"]  # the next epoch is epoch 3


def test_a_later_successful_resume_clears_the_failed_marker_of_an_attempt(train_in, tmp_path):
    run_dir = tmp_path / "run"
    train_in("+experiment=seed_linear", "epochs=4", "checkpoint.every_n_epochs=2", "verbose=0")
    (run_dir / "summary.json").unlink()  # as if killed during its end-of-run reporting
    (run_dir / "model.keras").unlink()
    with pytest.raises(ResumeError, match=r"belong to another experiment(.|\n)*config.seed: 42 -> 7"):
        train_in("+experiment=seed_linear", "epochs=4", "seed=7", "verbose=0", f"resume={run_dir}")
    assert (run_dir / "FAILED").read_text().startswith("ResumeError: resume=")
    result = train_in("+experiment=seed_linear", "epochs=4", "verbose=0", f"resume={run_dir}")
    assert not (run_dir / "FAILED").exists() and (run_dir / "model.keras").exists()
    assert result.epochs == 4 and result.global_step == 4 and set(result.metrics) == {"loss"}


def test_a_new_run_never_writes_into_another_runs_directory(train_in, tmp_path):
    from framework.errors import RunDirectoryError

    run_dir = tmp_path / "run"
    train_in("+experiment=seed_linear", "epochs=2", "verbose=0")
    before = {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()}
    with pytest.raises(RunDirectoryError, match=r"already holds another run \(checkpoints, tensorboard, model.keras, summary.json\).*resume=.*hydra.run.dir=<another dir>"):
        train_in("+experiment=seed_linear", "epochs=3", "verbose=0")
    assert {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()} == before


def test_resume_elsewhere_than_the_run_directory_is_refused(train_in, tmp_path):
    train_in("+experiment=seed_linear", "epochs=2", "verbose=0")
    with pytest.raises(ResumeError, match=r"a run is resumed in its own directory"):
        train_in("+experiment=seed_linear", f"resume={tmp_path / 'run'}", run_dir=tmp_path / "other")


def test_run_killed_before_its_first_checkpoint_starts_again(train_in, tmp_path):
    run_dir = tmp_path / "run"
    train_in("+experiment=seed_linear", "epochs=3", "verbose=0")
    whole = read_scalars(run_dir / "tensorboard")
    shutil.rmtree(run_dir / "checkpoints")
    (run_dir / "summary.json").unlink()
    result = train_in("+experiment=seed_linear", "epochs=3", "verbose=0", f"resume={run_dir}")
    assert result.global_step == 3
    again = read_scalars(run_dir / "tensorboard")
    assert {tag: [s for s, _ in points] for tag, points in again.items()} == {
        tag: [s for s, _ in points] for tag, points in whole.items()
    }
