"""Work inside epochs: checkpoint.every_n_steps (and a resume that starts at the next step)
and validation.every_n_steps.

On the backend KERAS_BACKEND names (TensorFlow by default; the JAX environment
runs this file too): a streamed CSV run killed with SIGKILL inside an epoch
and resumed ends as the uninterrupted run, the resume reads only the batches
it has left, and validation inside epochs extends the epoch validation's
curves without changing training.
"""

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.runs import run_in

from framework.checkpoints.step_checkpoints import StepCheckpoints
from framework.data.streamed import StreamedExamples
from framework.run_directory import RunDirectory
from framework.schedules import EveryNStepsInsideEpochs

STREAMED = ("data=csv", "data.target=y", "data.features=[a,b]", "data.stream=true", "data.val_fraction=0.1",
            "data.test_fraction=0", "data.normalize=false", "model=sequential",
            "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dense, units: 1}]",
            "optimizer=adam", "optimizer.learning_rate=0.01", "metrics=[mae]", "plots=false", "verbose=0")


def write_table(path: Path, rows: int) -> Path:
    """Columns a, b and y = a + 2b + noise."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, rows))
    y = a + 2 * b + 0.1 * rng.normal(size=rows)
    path.write_text("a,b,y\n" + "".join(f"{u:.5f},{v:.5f},{w:.5f}\n" for u, v, w in zip(a, b, y)))
    return path


def test_work_inside_epochs_falls_every_n_steps_except_where_an_epoch_ends():
    steps = EveryNStepsInsideEpochs(4, steps_per_epoch=6)
    assert [step for step in range(1, 25) if steps.due(step)] == [4, 8, 16, 20]  # 12 and 24 end epochs
    assert [steps.next_due(step) for step in (0, 4, 8, 11, 12)] == [4, 8, 16, 16, 16]
    assert EveryNStepsInsideEpochs(12, 6).next_due(0) is None  # every multiple of 12 ends an epoch
    saved = []
    StepCheckpoints(steps, save=lambda *position: saved.append(position[:2])).save(16, [])
    assert saved == [(2, 4)]  # two epochs done, four steps into the third


def test_checkpoint_names_order_positions_inside_and_at_the_end_of_epochs(tmp_path):
    run_dir = RunDirectory(tmp_path)
    run_dir.checkpoints.mkdir()
    for epochs, steps in [(1, 0), (0, 7), (1, 14), (1, 3), (2, 0)]:
        run_dir.checkpoint(epochs, steps).touch()
    assert run_dir.checkpoint(1, 14).name == "ckpt-1+14.npz" and run_dir.checkpoint(2).name == "ckpt-2.npz"
    assert run_dir.checkpoint_positions() == [(0, 7), (1, 0), (1, 3), (1, 14), (2, 0)]
    assert run_dir.checkpoint_epochs() == [1, 2]


@pytest.mark.parametrize("first, then", [("tape", "tape"), ("fit", "fit"), ("tape", "fit")])
def test_resume_inside_an_epoch_reads_only_the_batches_left_and_logs_the_epoch_whole(tmp_path, monkeypatch, first, then):
    """A run cut at a checkpoint inside its second epoch resumes there: the training batches it
    reads are the rest of that epoch from the next step, then the last epoch (the first is that
    step's, none twice), besides the reads every start makes (examples to build the model from);
    the second epoch's logs (metrics.csv) and the end equal the uninterrupted run's, also when
    a checkpoint of one strategy is resumed under the other."""
    # The steps read of training batches (an epoch's order), of others; the epochs read whole a block at a time.
    reads = {"training": [], "start-up": [], "whole epochs": set()}
    real_train_batch, real_train_block = StreamedExamples.train_batch, StreamedExamples.train_block

    def counted(self, order, step):
        reads["start-up" if order is None else "training"].append(int(step))
        return real_train_batch(self, order, step)

    def counted_block(self, order, position):
        reads["whole epochs"].add(None if order is None else int(order[0]))
        return real_train_block(self, order, position)

    monkeypatch.setattr(StreamedExamples, "train_batch", counted)
    monkeypatch.setattr(StreamedExamples, "train_block", counted_block)
    run = (*STREAMED, f"data.path={write_table(tmp_path / 'table.csv', 356)}", "data.batch_size=16", "epochs=3",
           "checkpoint.keep=20", "logger=csv")
    whole = run_in(tmp_path / "whole", *run, f"strategy={then}")
    steps_per_epoch = whole.global_step // 3  # about 20 (the split is drawn per block of rows)
    start_up_reads = list(reads["start-up"])
    cut = tmp_path / "cut"
    run_in(cut, *run, "checkpoint.every_n_steps=7", f"strategy={first}")
    positions = RunDirectory(cut).checkpoint_positions()
    inside = {divmod(step, steps_per_epoch) for step in range(7, 3 * steps_per_epoch, 7) if step % steps_per_epoch}
    assert positions == sorted({*inside, (1, 0), (2, 0), (3, 0)})
    _, step = cut_at = sorted(position for position in inside if position[0] == 1)[-1]
    for position in positions[positions.index(cut_at) + 1 :]:  # as if killed right after that checkpoint
        RunDirectory(cut).checkpoint(*position).unlink()
    (cut / "summary.json").unlink()

    reads = {"training": [], "start-up": [], "whole epochs": set()}
    resumed = run_in(cut, *run, "checkpoint.every_n_steps=7", f"resume={cut}", f"strategy={then}")
    assert resumed.global_step == whole.global_step
    left = [*range(step, steps_per_epoch), *range(steps_per_epoch)]  # the rest of epoch 1, then epoch 2
    assert reads["whole epochs"] <= {2}  # the cut epoch is never read whole
    read = reads["training"] + [step for _ in reads["whole epochs"] for step in range(steps_per_epoch)]
    assert collections.Counter(read) == collections.Counter(left)
    # first the rest of the cut epoch (a pipeline may read a batch ahead of the one before)
    assert sorted(reads["training"][: steps_per_epoch - step]) == list(range(step, steps_per_epoch))
    # Besides, the reads of every start; fit resumed inside an epoch reads its first batch again (to build
    # its metrics and the second input pipeline's types from), no other.
    extra = collections.Counter(reads["start-up"])
    extra.subtract(start_up_reads)
    assert {index for index, count in extra.items() if count} <= {0} and min(extra.values()) >= 0
    for name, value in whole.variables.items():
        np.testing.assert_allclose(resumed.variables[name], value, atol=1e-5, err_msg=name)
    assert resumed.metrics == pytest.approx(whole.metrics, abs=1e-5)
    rows = {name: (Path(name) / "metrics.csv").read_text().splitlines() for name in (tmp_path / "whole", cut)}
    whole_rows, resumed_rows = rows.values()
    assert len(resumed_rows) == len(whole_rows) == 4  # the header and one row per epoch, the cut epoch once
    for mine, theirs in zip(resumed_rows[1:], whole_rows[1:]):
        np.testing.assert_allclose(_numbers(mine), _numbers(theirs), atol=1e-5)


@pytest.fixture(scope="module")
def validated_runs(tmp_path_factory):
    """Per strategy, a streamed run (about 20 steps an epoch) validated every 7 steps, and the same run
    validated at epoch ends only."""
    folder = tmp_path_factory.mktemp("validated")
    run = (*STREAMED, f"data.path={write_table(folder / 'table.csv', 356)}", "data.batch_size=16", "epochs=2",
           "logger=tensorboard")
    return {
        (strategy, every): (folder / f"{strategy}-{every}", run_in(folder / f"{strategy}-{every}", *run,
                                                                 f"strategy={strategy}", f"validation.every_n_steps={every}"))
        for strategy in ("tape", "fit") for every in (0, 7)
    }


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_validation_every_n_steps_extends_the_epoch_validation_curves_and_changes_no_training(validated_runs, strategy):
    from helpers.events import read_scalars

    run_dir, result = validated_runs[strategy, 7]
    _, plain = validated_runs[strategy, 0]
    steps_per_epoch = result.global_step // 2
    inside = [step for step in range(7, 2 * steps_per_epoch, 7) if step % steps_per_epoch]
    curves = read_scalars(run_dir / "tensorboard")
    for tag in ("epoch/val_loss", "epoch/val_mae"):  # one curve: the steps inside epochs and the epochs' ends
        assert [step for step, _ in curves[tag]] == sorted([*inside, steps_per_epoch, 2 * steps_per_epoch])
    assert [step for step, _ in curves["epoch/loss"]] == [steps_per_epoch, 2 * steps_per_epoch]  # training: per epoch
    losses = [value for _, value in curves["epoch/val_loss"]]
    assert losses[0] > losses[-1] and len(set(losses)) == len(losses)  # each on the weights of its step
    # Validating evaluates the model; the epoch's running loss and metrics, and training, are as without it.
    assert result.metrics == pytest.approx(plain.metrics, abs=1e-6)
    for name, value in plain.variables.items():
        np.testing.assert_allclose(result.variables[name], value, atol=1e-6, err_msg=name)


def test_validation_inside_epochs_is_the_same_under_both_strategies(validated_runs):
    from helpers.events import read_scalars

    tape, fit = (read_scalars(validated_runs[strategy, 7][0] / "tensorboard")["epoch/val_loss"] for strategy in ("tape", "fit"))
    assert [step for step, _ in tape] == [step for step, _ in fit]
    np.testing.assert_allclose([value for _, value in tape], [value for _, value in fit], atol=1e-5)


def _numbers(row: str) -> list[float]:
    return [float(value) for value in row.split(",")]


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_run_killed_inside_an_epoch_resumes_at_the_next_step_to_the_uninterrupted_result(tmp_path, strategy):
    """A real process, SIGKILLed right after a checkpoint inside its second epoch appears; the
    resumed process starts there and ends with the uninterrupted run's weights and loss."""
    run = (*STREAMED, f"data.path={write_table(tmp_path / 'table.csv', 4000)}", "data.batch_size=2", "epochs=3",
           f"strategy={strategy}", "checkpoint.every_n_epochs=10", "logger=none")  # epoch checkpoints at the end only
    whole = _cli(*run, f"hydra.run.dir={tmp_path / 'whole'}")
    assert whole.returncode == 0, whole.stderr[-3000:]
    run_dir = tmp_path / "cut"
    process = subprocess.Popen([sys.executable, "-m", "framework.train", *run, "checkpoint.every_n_steps=500",
                                f"hydra.run.dir={run_dir}"], env=_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not list(run_dir.glob("checkpoints/ckpt-1+*.npz")):  # about 1800 steps an epoch: the first at step 2000
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1][-3000:]
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    epochs, steps = RunDirectory(run_dir).checkpoint_positions()[-1]
    assert steps > 0 and not (run_dir / "summary.json").exists()  # killed inside an epoch
    resumed = _cli(f"resume={run_dir}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    expected, got = (json.loads((path / "summary.json").read_text()) for path in (tmp_path / "whole", run_dir))
    steps_per_epoch = expected["global_step"] // 3  # about 1800 (the split is drawn per block of rows)
    restart = f"Resuming inside epoch {epochs} at its step {steps} (step {steps_per_epoch * epochs + steps})"
    assert restart in (run_dir / "train.log").read_text()
    assert got["global_step"] == expected["global_step"]
    for name, value in expected["variables"].items():
        np.testing.assert_allclose(got["variables"][name], value, atol=1e-5, err_msg=name)
    assert got["metrics"]["loss"] == pytest.approx(expected["metrics"]["loss"], abs=1e-5)


_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def _cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "framework.train", *arguments], env=_ENV, capture_output=True, text=True,
                          timeout=400)
