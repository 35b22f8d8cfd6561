"""Text and integer-code feature columns of tables: categories learned from the training rows,
encoded inside the model, read raw by framework.predict (framework/data/categories.py,
framework/layers/categorical_inputs.py)."""

import csv
import io
import logging
from pathlib import Path

import numpy as np
import pytest
from helpers.data_files import csv_data, write_csv
from helpers.runs import run_in, run_python

from framework.data import shards
from framework.data.tables import csv as table_csv
from framework.data.tables import parquet as table_parquet

CITIES = ("berlin", "lima", "oslo", "pune", "quito", "rome")
HIGH = ("berlin", "oslo", "quito")  # the class is "high" exactly for these cities
TABLE = dict(categorical=None, categorical_encoding="one_hot", embedding_dim=8, hash_bins=64)
COMMON = dict(batch_size=16, val_fraction=0.2, test_fraction=0.0, shuffle=True, seed=3, normalize=False, num_examples=None)
CLASSIFIER = ("model=sequential", "model.layers=[{name: dense, units: 16, activation: relu}, {name: dense, units: 2}]",
              "loss=sparse_categorical_crossentropy", "loss.from_logits=true", "metrics=[accuracy]",
              "optimizer=adam", "optimizer.learning_rate=0.02", "verbose=0")


def shops_csv(folder: Path, rows: int = 240, name: str = "shops.csv") -> Path:
    """size (noise), city (the signal), zip (an integer code), id, label: high or low by city alone."""
    rng = np.random.default_rng(0)
    lines = ["size,city,zip,id,label"]
    for index in range(rows):
        city = CITIES[rng.integers(len(CITIES))]
        lines.append(f"{rng.normal():.4f},{city},{10000 + index % 7},{index},{'high' if city in HIGH else 'low'}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run on shops.csv whose city column carries the class, normalized numbers beside it."""
    folder = tmp_path_factory.mktemp("shops")
    path = shops_csv(folder)
    return folder, run_in(folder / "run", *_run_overrides(path))


def _run_overrides(path: Path) -> tuple[str, ...]:
    return ("data=csv", f"data.path={path}", "data.target=label", "data.features=[size,city]", "data.normalize=true",
            "epochs=8", *CLASSIFIER)


def test_a_text_column_that_carries_the_signal_is_learned(trained):
    _, result = trained
    assert result.metrics["val_accuracy"] > 0.9  # chance is about 0.5: the city alone decides the class
    assert result.metrics["loss"] < 0.5 * np.log(2)  # from about log(2), two classes' loss at the start
    summary = (Path(result.run_dir) / "model_summary.txt").read_text()
    assert "categorical_inputs" in summary and "normalization" in summary


def test_the_vocabulary_comes_from_the_training_rows_and_other_values_are_code_0(tmp_path):
    """Every row's `tag` is its own value: the vocabulary holds exactly the training rows' tags,
    and every validation row's tag, never seen in training, is the unseen code 0."""
    lines = ["a,tag,y"] + [f"{i * 0.1:.1f},t{i},{i % 2}" for i in range(50)]
    data = csv_data(write_csv(tmp_path / "tags.csv", "\n".join(lines) + "\n"), target="y", **TABLE)
    (column,) = data.categories.columns
    assert (column.name, column.position, column.mode) == ("tag", 1, "lookup")
    assert len(column.vocabulary) == data.num_train_examples
    train_x = np.concatenate([x for x, _ in data.batches("train")])
    validation_x = np.concatenate([x for x, _ in data.batches("validation")])
    assert sorted(column.vocabulary) == sorted(f"t{round(a * 10)}" for a in train_x[:, 0])
    assert (train_x[:, 1] >= 1).all() and (validation_x[:, 1] == 0).all()


def test_normalize_leaves_the_codes_alone(tmp_path):
    path = shops_csv(tmp_path)
    data = csv_data(str(path), target="label", features=["size", "city", "zip"], **{**TABLE, "categorical": {"zip": "lookup"}, "normalize": True})
    normalizer = data.normalizer()
    x, _ = data.sample(40)
    normalized = np.asarray(normalizer(x))
    np.testing.assert_array_equal(normalized[:, 1:], x[:, 1:])  # city and zip codes pass unchanged
    assert abs(float(np.mean(np.asarray(normalizer(np.concatenate([b for b, _ in data.batches("train")])))[:, 0]))) < 1e-5
    assert [column.name for column in data.categories.columns] == ["city", "zip"]
    assert data.categories.columns[1].vocabulary == tuple(str(10000 + i) for i in range(7))


def test_hashing_columns_need_no_vocabulary(tmp_path):
    data = csv_data(str(shops_csv(tmp_path)), target="label", features=["size", "city"],
                    **{**TABLE, "categorical": {"city": "hashing"}, "hash_bins": 5})
    (column,) = data.categories.columns
    assert column.vocabulary == () and column.size == 5
    codes = np.concatenate([x[:, 1] for x, _ in data.batches("train")])
    assert set(codes.tolist()) <= set(range(5)) and len(set(codes.tolist())) > 1


def _predicted_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_predict_reads_raw_rows_in_a_fresh_process_as_the_model_computes_them(trained, tmp_path):
    """framework.predict in its own process, on rows holding city names (one it never saw), columns
    in another order, gives the probabilities of the trained model on the vocabulary's codes."""
    import keras

    from framework.saving import load_run_model

    folder, result = trained
    rows = tmp_path / "raw.csv"
    rows.write_text("label,city,size\n?,oslo,0.3\n?,pune,-1.2\n?,atlantis,0.0\n?,berlin,2.0\n")
    done = run_python("-m", "framework.predict", f"run={result.run_dir}", f"csv={rows}")
    assert done.returncode == 0, done.stderr
    predicted = _predicted_rows(done.stdout)
    assert [row["city"] for row in predicted] == ["oslo", "pune", "atlantis", "berlin"]
    assert [row["class"] for row in predicted[:2]] == ["high", "low"]

    vocabulary = sorted(CITIES)  # every city is in some training row; code = position + 1, unseen 0
    codes = [vocabulary.index("oslo") + 1, vocabulary.index("pune") + 1, 0, vocabulary.index("berlin") + 1]
    x = np.array([[0.3, codes[0]], [-1.2, codes[1]], [0.0, codes[2]], [2.0, codes[3]]], np.float32)
    model = load_run_model(Path(result.run_dir))
    probabilities = np.asarray(keras.ops.softmax(model(x)))
    np.testing.assert_allclose([[float(row["p_high"]), float(row["p_low"])] for row in predicted], probabilities, atol=1e-5)


def test_a_csv_without_the_header_or_numbers_for_a_text_column_is_explained(trained, tmp_path):
    from framework.errors import InputError
    from framework.predict import PredictArguments, predict

    _, result = trained
    headless = write_csv(tmp_path / "headless.csv", "0.3,1\n")
    with pytest.raises(InputError, match=r"reads the categorical column\(s\) city by name; give the file a header line"):
        predict(PredictArguments(run=result.run_dir, csv=headless))
    with pytest.raises(InputError, match=r"x: the run's model takes the categorical column\(s\) city, whose values are not numbers"):
        predict(PredictArguments(run=result.run_dir, x=[[0.3, 1.0]]))


def _rows_by_id(data) -> dict[int, np.ndarray]:
    rows = {}
    for part in ("train", "validation", "test"):
        for x, _ in data.batches(part):
            rows.update({int(row[-1]): row for row in x})
    return rows


def test_streamed_and_held_tables_give_every_row_the_same_codes(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "BLOCK_ROWS", 64)  # several blocks
    path = shops_csv(tmp_path, rows=400)
    arguments = dict(path=str(path), target="label", features=["size", "city", "zip", "id"], target_type="auto",
                     **{**TABLE, "categorical": {"zip": "lookup"}}, **COMMON)
    held, streamed = table_csv(stream=False, **arguments), table_csv(stream=True, **arguments)
    assert held.categories == streamed.categories  # every value is frequent: both splits see them all
    held_rows, streamed_rows = _rows_by_id(held), _rows_by_id(streamed)
    assert sorted(held_rows) == sorted(streamed_rows) == list(range(400))
    for index, row in held_rows.items():
        np.testing.assert_array_equal(streamed_rows[index], row)


@pytest.mark.parametrize("strategy", ["tape", "fit"])
def test_a_streamed_table_with_text_trains_with_either_strategy_and_predicts_raw_rows(tmp_path, caplog, strategy):
    path = shops_csv(tmp_path / "data")
    with caplog.at_level(logging.INFO, logger="framework"):
        result = run_in(tmp_path / "run", "data=csv", f"data.path={path}", "data.target=label", "data.stream=true",
                        "data.features=[size,city,zip]", "data.categorical={zip: hashing}", "data.categorical_encoding=embedding",
                        "data.embedding_dim=4", "epochs=8", f"strategy={strategy}", *CLASSIFIER)
    assert result.metrics["val_accuracy"] > 0.9
    said = [record.getMessage() for record in caplog.records]
    assert any("city: lookup of 6 value(s) from the training rows" in line and "zip: hashing into 64 bins" in line for line in said)
    assert not [line for line in said if "does not scale them" in line]  # codes up to 63 are no large inputs
    from framework.predict import PredictArguments, predict

    rows = write_csv(tmp_path / "raw.csv", "city,size,zip\nrome,0.1,10003\nquito,0.1,99999\n")
    examples, scores = predict(PredictArguments(run=result.run_dir, csv=rows))
    assert [row[1] for row in examples.labels] == ["rome", "quito"] and scores.argmax(axis=1).tolist() == [1, 0]


@pytest.mark.parametrize("stream", ["false", "true"])
def test_evaluate_codes_other_data_with_the_runs_vocabulary(trained, tmp_path, stream):
    """Rows of two cities only: coded by their own vocabulary, pune would take berlin's code and quito
    lima's, flipping the classes; framework.evaluate codes them with the run's."""
    from framework.config import compose
    from framework.inference.evaluation import evaluate_run

    _, result = trained
    lines = ["size,city,label"] + [f"{i / 40:.3f},{city},{label}" for i in range(20) for city, label in (("pune", "low"), ("quito", "high"))]
    path = write_csv(tmp_path / "two_cities.csv", "\n".join(lines) + "\n")
    cfg = compose([*_run_overrides(path), "data.val_fraction=0", "data.shuffle=false", f"data.stream={stream}"])  # what the run's .hydra/ would give
    evaluation = evaluate_run(Path(result.run_dir), cfg, "all")
    assert evaluation.examples == 40 and evaluation.metrics["accuracy"] > 0.9


def test_a_parquet_table_held_in_memory_codes_its_string_columns_as_the_same_csv_file(tmp_path):
    import pyarrow.csv
    import pyarrow.parquet

    path = shops_csv(tmp_path)
    pyarrow.parquet.write_table(pyarrow.csv.read_csv(path), tmp_path / "shops.parquet", row_group_size=50)
    arguments = dict(target="label", features=["size", "city", "id"], target_type="auto", **TABLE, **COMMON)
    from_csv = table_csv(stream=False, path=str(path), **arguments)
    from_parquet = table_parquet(stream=False, path=str(tmp_path / "shops.parquet"), **arguments)
    assert from_parquet.categories == from_csv.categories and from_csv.categories.columns[0].vocabulary == tuple(sorted(CITIES))
    for part in ("train", "validation"):
        np.testing.assert_array_equal(from_parquet.examples(part)[0], from_csv.examples(part)[0])
    # A value per row: learned from the held split's training rows (not the streamed split's), as in memory.
    tags = pyarrow.table({"a": np.arange(50) / 10, "tag": [f"t{i}" for i in range(50)], "y": np.arange(50) % 2})
    pyarrow.parquet.write_table(tags, tmp_path / "tags.parquet", row_group_size=10)
    held = table_parquet(stream=False, path=str(tmp_path / "tags.parquet"), **{**arguments, "target": "y", "features": None})
    assert len(held.categories.columns[0].vocabulary) == held.num_train_examples
    assert (held.examples("validation")[0][:, 1] == 0).all() and (held.examples("train")[0][:, 1] >= 1).all()


def test_evaluate_refuses_numbers_where_the_run_read_categories(trained, tmp_path):
    from framework.config import compose
    from framework.errors import InputError
    from framework.inference.evaluation import evaluate_run

    _, result = trained
    path = write_csv(tmp_path / "numbered.csv", "size,city,label\n" + "".join(f"0.{i},{i % 3},high\n" for i in range(10)))
    cfg = compose([*_run_overrides(path), "data.val_fraction=0"])
    with pytest.raises(InputError, match=r"the run's model reads the column\(s\) city as categories, but the data reads them as "
                                         r"numbers\. Name them in data.categorical as the run did: data.categorical=\{city: lookup\}"):
        evaluate_run(Path(result.run_dir), cfg, "all")
