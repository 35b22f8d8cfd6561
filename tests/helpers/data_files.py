"""Small data files and data sources the data-source tests share."""

from __future__ import annotations

import numpy as np
from PIL import Image

from framework.data import CsvData, ImageFolderData, NumpyData

COMMON = dict(batch_size=8, val_fraction=0.2, test_fraction=0.1, shuffle=True, seed=3, normalize=False)
FILES = dict(num_examples=None, target_type="auto")
TABLES = dict(categorical=None, categorical_encoding="one_hot", embedding_dim=8, hash_bins=64)  # configs/data/csv.yaml's


def write_csv(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def flowers_csv(tmp_path, rows=40):
    """Three numeric columns (weight counts up by 0.5, naming each row) and a class-name column."""
    rng = np.random.default_rng(0)
    lines = ["length,width,weight,kind"]
    for i in range(rows):
        lines.append(f"{rng.normal():.4f},{rng.normal() + 5:.4f},{i * 0.5:.1f},{['rose', 'iris', 'lily'][i % 3]}")
    return write_csv(tmp_path / "flowers.csv", "\n".join(lines) + "\n")


def csv_data(path, target="kind", features=None, **overrides):
    return CsvData(path=path, target=target, features=features, **{**FILES, **TABLES, **COMMON, **overrides})


def batches(dataset):
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset]


def all_examples(data, part):
    """Every example of one part ("train", "validation", "test"), in order (training ones unshuffled)."""
    pairs = list(data.batches(part))
    return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


def numpy_data(path, **overrides):
    arguments = dict(target_path=None, inputs_key="x", targets_key="y", **FILES, **COMMON)
    return NumpyData(path=str(path), **{**arguments, **overrides})


def write_images(folder, classes=("dog", "cat"), per_class=5, size=(6, 4)):
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((*size, 3), 40 * index + i, dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")
    return str(folder)


def image_data(path, **overrides):
    return ImageFolderData(path=path, **{**dict(image_size=(6, 4), color_mode="rgb", num_examples=None, **COMMON), **overrides})


def regression_csv(folder):
    """y = 2 a - b + 1 + noise, with a and b as features."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 96))
    y = 2 * a - b + 1 + rng.normal(scale=0.1, size=96)
    lines = ["a,b,y", *(f"{p:.5f},{q:.5f},{r:.5f}" for p, q, r in zip(a, b, y))]
    return write_csv(folder / "regression.csv", "\n".join(lines) + "\n")


IRIS_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def iris_csv(path, species=("setosa", "versicolor", "virginica"), columns=(*IRIS_COLUMNS, "species")):
    """scikit-learn's iris flowers as a CSV file with a header, the class names in column
    `species`; `species` keeps those classes only, `columns` orders (or drops) the columns."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    rows = [dict(zip(IRIS_COLUMNS, x), species=iris.target_names[y]) for x, y in zip(iris.data, iris.target)]
    lines = [",".join(columns)]
    lines += [",".join(f"{row[name]}" for name in columns) for row in rows if row["species"] in species]
    return write_csv(path, "\n".join(lines) + "\n")
