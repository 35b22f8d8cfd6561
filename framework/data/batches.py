"""A part of a data source as a Keras PyDataset, which `evaluate` and `predict` take on every backend."""

from __future__ import annotations

import keras

from framework.data.source import DataSource


class PartBatches(keras.utils.PyDataset):
    """The batches of one part ("validation" or "test", or "train" unshuffled) of `data`, in order."""

    def __init__(self, data: DataSource, part: str):
        super().__init__()
        self.data = data
        self.part = part
        self._fetch = {"train": lambda step: data.storage.train_batch(None, step), "validation": data.validation_batch,
                       "test": data.test_batch}[part]

    def __len__(self) -> int:
        return self.data.steps(self.part)

    def __getitem__(self, index: int):
        return self._fetch(index)
