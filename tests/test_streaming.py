"""Tables streamed from disk a block at a time: data=csv data.stream=true and data=parquet."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.data_files import TABLES
from helpers.runs import run_in

from framework.data import shards
from framework.data.tables import csv, parquet
from framework.errors import ConfigError, InputError

SPLIT = dict(batch_size=16, val_fraction=0.2, test_fraction=0.1, shuffle=True, seed=3, normalize=False, num_examples=None)
COMMON = {**SPLIT, **TABLES}  # a table's arguments
ROWS = 500


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of 64 rows, so a few hundred rows make several blocks and batches straddle them."""
    monkeypatch.setattr(shards, "BLOCK_ROWS", 64)


def write_table(folder: Path, rows: int = ROWS, name: str = "table.csv", first: int = 0) -> Path:
    """Columns a, b (numbers), y = a + 2b, kind (a class name), id (the row's number)."""
    rng = np.random.default_rng(first)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["a,b,y,kind,id"]
    for index in range(first, first + rows):
        a, b = rng.normal(size=2)
        lines.append(f"{a:.5f},{b:.5f},{a + 2 * b:.5f},{('cat', 'dog', 'eel')[index % 3]},{index}")
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def write_parquet(csv_path: Path, path: Path, row_group_size: int = 50) -> Path:
    import pyarrow.csv
    import pyarrow.parquet

    pyarrow.parquet.write_table(pyarrow.csv.read_csv(csv_path), path, row_group_size=row_group_size)
    return path


def ids(data, part, epoch=None):
    """The `id` feature (the last input column) of every row of `part`, in batch order."""
    return np.concatenate([x[:, -1] for x, _ in data.batches(part, epoch)]).astype(int)


def streamed(path, **overrides):
    return csv(stream=True, path=str(path), target="y", features=["a", "b", "id"], target_type="auto", **{**COMMON, **overrides})


def test_every_row_is_in_one_part_and_each_epoch_reads_the_training_rows_once_in_a_new_order(tmp_path):
    data = streamed(write_table(tmp_path))
    parts = {part: ids(data, part) for part in ("train", "validation", "test")}
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(ROWS))
    assert len(parts["validation"]) == pytest.approx(0.2 * ROWS, abs=25) and len(parts["test"]) == pytest.approx(0.1 * ROWS, abs=20)
    first, second = ids(data, "train", 0), ids(data, "train", 1)
    assert sorted(first.tolist()) == sorted(second.tolist()) == sorted(parts["train"].tolist())
    assert not np.array_equal(first, second) and not np.array_equal(first, parts["train"])
    assert data.steps_per_epoch == -(-len(first) // 16)


def test_the_split_and_orders_are_seeded(tmp_path):
    path = write_table(tmp_path)
    same, other = streamed(path), streamed(path, seed=4)
    data = streamed(path)
    assert np.array_equal(ids(data, "validation"), ids(same, "validation"))
    assert np.array_equal(ids(data, "train", 2), ids(same, "train", 2))
    assert not np.array_equal(ids(data, "validation"), ids(other, "validation"))


def test_a_batch_is_the_same_whatever_was_read_before(tmp_path):
    path = write_table(tmp_path)
    in_order = [streamed(path).train_batch(1, step) for step in range(20)]
    jumping = streamed(path)
    jumping.train_batch(0, 7)
    for step in (13, 2, 19, 0, 13):
        x, y = jumping.train_batch(1, step)
        np.testing.assert_array_equal(x, in_order[step][0])
        np.testing.assert_array_equal(y, in_order[step][1])


# The `id`s of a few batches of write_table's rows (seed 3, blocks of 64, batches of 16), as
# the streamed source has always read them: a faster reader must read the same batches.
PINNED_BATCHES = {
    ("train", 0, 0): [265, 286, 289, 313, 290, 306, 258, 283, 319, 291, 273, 292, 302, 279, 271, 304],
    ("train", 0, 5): [113, 86, 88, 119, 110, 99, 85, 103, 100, 121, 75, 65, 122, 443, 398, 428],
    ("train", 7, 11): [444, 384, 434, 391, 397, 410, 416, 204, 192, 244, 218, 221, 233, 197, 229, 194],
    ("train", 2, 22): [167, 178, 131, 142, 174, 160, 132, 141, 149],
    ("validation", None, 1): [116, 117, 118, 123, 124, 125, 134, 136, 150, 151, 152, 157, 159, 161, 169, 173],
    ("test", None, 3): [468, 480, 493, 495],
}


def test_the_batches_at_an_epoch_and_step_are_pinned(tmp_path):
    data = streamed(write_table(tmp_path))
    for (part, epoch, step), expected in PINNED_BATCHES.items():
        x, _ = data.train_batch(epoch, step) if part == "train" else data.storage.held_out_batch(part, step)
        assert x[:, -1].astype(int).tolist() == expected, (part, epoch, step)


@pytest.mark.parametrize("shuffle", [True, False])
def test_the_tensorflow_pipeline_cuts_the_same_batches_from_whole_blocks(tmp_path, shuffle):
    pytest.importorskip("tensorflow")
    from framework.backends.tensorflow.examples import TensorFlowExamples, held_out_dataset, training_dataset

    data = streamed(write_table(tmp_path), shuffle=shuffle)
    examples = TensorFlowExamples(data)
    batches = list(training_dataset(examples, epochs=3, initial_epoch=1).as_numpy_iterator())
    assert len(batches) == 2 * data.steps_per_epoch
    for index, (x, y) in enumerate(batches):
        expected_x, expected_y = data.train_batch(1 + index // data.steps_per_epoch, index % data.steps_per_epoch)
        np.testing.assert_array_equal(x, expected_x)
        np.testing.assert_array_equal(y, expected_y)
    if shuffle:
        assert batches[data.steps_per_epoch + 22][0][:, -1].astype(int).tolist() == PINNED_BATCHES[("train", 2, 22)]
    validation = held_out_dataset(examples, "validation")
    assert int(validation.cardinality()) == data.validation_steps
    for step, (x, y) in enumerate(validation.as_numpy_iterator()):
        np.testing.assert_array_equal(x, data.validation_batch(step)[0])


def test_text_targets_are_class_ids_and_the_normalizer_sees_the_training_rows(tmp_path):
    path = write_table(tmp_path)
    data = csv(stream=True, path=str(path), target="kind", features=["a", "b", "id"], target_type="auto", **{**COMMON, "normalize": True})
    assert data.class_names == ("cat", "dog", "eel")
    x, y = data.train_batch(0, 0)
    np.testing.assert_array_equal(y, (x[:, -1].astype(int) % 3).astype(np.int32))
    rows = np.concatenate([x for x, _ in data.batches("train")]).astype(np.float64)
    np.testing.assert_allclose(np.asarray(data.normalizer().mean).ravel(), rows.mean(axis=0), rtol=1e-5)


def test_parquet_shards_in_a_directory_or_a_glob_stream_like_one_table(tmp_path):
    shards_dir = tmp_path / "shards"
    shards_dir.mkdir()
    for index in range(3):
        write_parquet(write_table(tmp_path / "csv", 100, f"part{index}.csv", first=100 * index), shards_dir / f"part{index}.parquet")
    arguments = dict(target="y", features=["a", "b", "id"], target_type="auto", **COMMON)
    by_folder = parquet(stream=True, path=str(shards_dir), **arguments)
    by_glob = parquet(stream=True, path=str(shards_dir / "part*.parquet"), **arguments)
    assert len(by_folder.storage.table.blocks) == 6  # two row groups of 50 per shard
    assert by_folder.data_files == tuple(sorted(shards_dir.iterdir()))
    everything = np.concatenate([ids(by_folder, part) for part in ("train", "validation", "test")])
    assert sorted(everything.tolist()) == list(range(300))
    np.testing.assert_array_equal(ids(by_folder, "train", 3), ids(by_glob, "train", 3))
    held = parquet(stream=False, path=str(shards_dir), **arguments)
    assert held.held is not None and held.num_train_examples + held.num_validation_examples + held.num_test_examples == 300


STREAMED_RUN = ("data=csv", "data.target=y", "data.features=[a,b]", "data.stream=true", "data.batch_size=16",
                "model=sequential", "model.layers=[{name: dense, units: 8, activation: tanh}, {name: dense, units: 1}]",
                "optimizer=adam", "optimizer.learning_rate=0.01", "epochs=4", "checkpoint.every_n_epochs=2",
                "logger=none", "plots=false", "verbose=0")


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_resumed_streaming_run_equals_the_uninterrupted_one(tmp_path, strategy):
    path = write_table(tmp_path)
    run = (*STREAMED_RUN, f"data.path={path}", f"strategy={strategy}")
    whole, resumed = _whole_and_resumed_from_epoch_2(tmp_path, run)
    assert resumed.epochs == 4
    for name, value in whole.variables.items():
        np.testing.assert_allclose(resumed.variables[name], value, atol=1e-5, err_msg=name)
    assert resumed.metrics["val_loss"] == pytest.approx(whole.metrics["val_loss"], abs=1e-5)


def test_a_file_that_vanishes_while_training_stops_the_run_and_it_resumes_once_restored(tmp_path, monkeypatch):
    path = write_table(tmp_path)
    kept = shutil.copy(path, tmp_path / "kept.csv")
    reads, read = [0], shards.ShardedTable.read

    def vanishing(self, *arguments, **keywords):
        reads[0] += 1
        if reads[0] == 40:
            path.unlink()
        return read(self, *arguments, **keywords)

    monkeypatch.setattr(shards.ShardedTable, "read", vanishing)
    run_dir = tmp_path / "run"
    run = (*STREAMED_RUN, f"data.path={path}", "checkpoint.every_n_epochs=1")
    with pytest.raises(InputError, match=rf"data.path: {path} vanished while training; restore it and resume the run"):
        run_in(run_dir, *run)
    assert not (run_dir / "summary.json").exists() and "vanished" in (run_dir / "FAILED").read_text()
    shutil.copy(kept, path)
    assert run_in(run_dir, *run, f"resume={run_dir}").epochs == 4
    assert json.loads((run_dir / "summary.json").read_text())["data"][0]["path"] == str(path)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda tmp: str(tmp / "none" / "*.parquet"), r"the pattern .*none/\*\.parquet matches no file"),
        (lambda tmp: _corrupt(tmp), r"part1\.parquet is not a readable Parquet file \(.*magic bytes"),
        (lambda tmp: _other_columns(tmp), r"shard .*part1\.parquet has the columns \['a: int64', 'b: int64', 'y: int64'\], but the first shard .*part0\.parquet has \['a: double'"),
    ],
    ids=["glob matching nothing", "corrupt parquet", "shard with other columns"],
)
def test_bad_shards_are_clear_errors(tmp_path, make, match):
    with pytest.raises(InputError, match=match):
        parquet(stream=True, path=str(make(tmp_path)), target="y", features=None, target_type="auto", **COMMON)


def _two_shards(tmp_path: Path) -> Path:
    folder = tmp_path / "shards"
    folder.mkdir()
    write_parquet(write_table(tmp_path / "csv", 60, "part0.csv"), folder / "part0.parquet")
    return folder


def _corrupt(tmp_path: Path) -> Path:
    folder = _two_shards(tmp_path)
    (folder / "part1.parquet").write_bytes(b"not parquet at all")
    return folder


def _other_columns(tmp_path: Path) -> Path:
    folder = _two_shards(tmp_path)
    table = (tmp_path / "csv" / "other.csv")
    table.write_text("a,b,y\n1,2,3\n")
    write_parquet(table, folder / "part1.parquet")
    return folder


def test_an_image_folder_streams_a_block_of_images_at_a_time(tmp_path, monkeypatch):
    from helpers.data_files import write_images

    from framework.data import image_folder, streamed_images

    monkeypatch.setattr(streamed_images, "BLOCK_IMAGES", 4)
    decoded, read = [], image_folder.read_image_files
    monkeypatch.setattr(streamed_images, "read_image_files", lambda paths, *a, **k: decoded.append(len(paths)) or read(paths, *a, **k))
    folder = write_images(tmp_path / "pets", classes=("cat", "dog", "eel"), per_class=10)
    arguments = dict(path=folder, image_size=(6, 4), color_mode="rgb", **{**SPLIT, "batch_size": 2})
    data = streamed_images.images(stream=True, **arguments)
    assert data.class_names == ("cat", "dog", "eel") and data.input_shape == (6, 4, 3)
    decoded.clear()
    data.train_batch(0, 0)
    assert len(decoded) <= 3 and max(decoded) == 4  # of 8 blocks: the one or two the batch spans, and the next read ahead
    # Each image is one grey level, 40 * class + index: it names the image and its class.
    def names(part, epoch=None):
        return np.concatenate([x[:, 0, 0, 0] for x, _ in data.batches(part, epoch)]).astype(int)

    everything = np.concatenate([names(part) for part in ("train", "validation", "test")])
    assert sorted(everything.tolist()) == sorted(40 * c + i for c in range(3) for i in range(10))
    assert sorted(names("train", 0).tolist()) == sorted(names("train", 1).tolist()) and not np.array_equal(names("train", 0), names("train", 1))
    for x, y in data.batches("train", 2):
        np.testing.assert_array_equal(y, x[:, 0, 0, 0].astype(int) // 40)
    same = streamed_images.images(stream=True, **arguments)
    np.testing.assert_array_equal(same.train_batch(3, 1)[0], data.train_batch(3, 1)[0])
    with pytest.raises(ConfigError, match=r"data.num_examples=5 takes a random subset of images held in memory; with data.stream=true set it to null"):
        streamed_images.images(stream=True, **{**arguments, "num_examples": 5})


def test_a_streamed_image_folder_trains_and_resumes_exactly(tmp_path):
    from helpers.data_files import write_images

    folder = write_images(tmp_path / "pets", per_class=12)
    run = ("data=images", f"data.path={folder}", "data.image_size=[6,4]", "data.stream=true", "data.batch_size=5",
           "model=sequential", "model.layers=[{name: flatten}, {name: dense, units: 2}]", "loss=sparse_categorical_crossentropy",
           "optimizer=adam", "epochs=4", "checkpoint.every_n_epochs=2", "logger=none", "plots=false", "verbose=0")
    whole, resumed = _whole_and_resumed_from_epoch_2(tmp_path, run)
    for name, value in whole.variables.items():
        np.testing.assert_allclose(resumed.variables[name], value, atol=1e-5, err_msg=name)


def _whole_and_resumed_from_epoch_2(tmp_path: Path, run: tuple[str, ...]):
    """A 4-epoch run uninterrupted, and the same run resumed from its epoch-2 checkpoint (as if killed after it)."""
    whole = run_in(tmp_path / "whole", *run)
    cut = tmp_path / "cut"
    run_in(cut, *run)
    for stale in [*Path(cut, "checkpoints").glob("ckpt-4.*"), cut / "summary.json"]:
        stale.unlink()
    return whole, run_in(cut, *run, f"resume={cut}")


def test_both_strategies_train_the_same_on_a_streamed_table(tmp_path):
    path = write_table(tmp_path)
    tape, fit = (run_in(tmp_path / s, *STREAMED_RUN, f"data.path={path}", f"strategy={s}", "epochs=2") for s in ("tape", "fit"))
    for name, value in tape.variables.items():
        np.testing.assert_allclose(fit.variables[name], value, atol=1e-4, err_msg=name)
    assert fit.metrics["val_loss"] == pytest.approx(tape.metrics["val_loss"], abs=1e-4)
