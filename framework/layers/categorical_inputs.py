"""The first layer of a model trained on a table with categorical columns.

Rows arrive as numbers: numeric columns as they are, each categorical column
as its value's code (framework.data.categories). This layer passes the
numeric columns on, then appends each categorical column one-hot
(Keras's CategoryEncoding) or as a trained embedding (Keras's Embedding).
Its config holds every column's vocabulary, so the saved model carries what
turns raw values into codes, and framework.predict reads it from there.
"""

from __future__ import annotations

import keras

from framework.data.categories import CategoricalColumn

_ENCODINGS = ("one_hot", "embedding")


@keras.saving.register_keras_serializable(package="framework")
class CategoricalInputs(keras.layers.Layer):
    """Numeric columns, then each categorical column's code one-hot or embedded.

    Args:
        columns: Each categorical column's config (CategoricalColumn.to_config()).
        encoding: one_hot or embedding.
        embedding_dim: The length of each embedding (encoding=embedding).
    """

    def __init__(self, columns: list[dict], encoding: str = "one_hot", embedding_dim: int = 8, **kwargs):
        if encoding not in _ENCODINGS:
            raise ValueError(f"expected encoding one of {_ENCODINGS}. Received: encoding={encoding!r}")
        if not columns:
            raise ValueError("expected at least one categorical column. Received: columns=[]")
        if not isinstance(embedding_dim, int) or embedding_dim < 1:
            raise ValueError(f"expected a positive integer. Received: embedding_dim={embedding_dim!r}")
        super().__init__(**kwargs)
        self.columns = [CategoricalColumn.from_config(column) for column in columns]
        self.encoding, self.embedding_dim = encoding, embedding_dim
        self.encoders = [
            keras.layers.CategoryEncoding(num_tokens=column.size, output_mode="one_hot", name=f"{column.name}_one_hot")
            if encoding == "one_hot"
            else keras.layers.Embedding(column.size, embedding_dim, name=f"{column.name}_embedding")
            for column in self.columns
        ]

    def build(self, input_shape):
        categorical = {column.position for column in self.columns}
        self.numeric = [index for index in range(input_shape[-1]) if index not in categorical]
        for encoder in self.encoders:
            encoder.build((None,))

    def call(self, inputs):
        parts = [keras.ops.take(inputs, self.numeric, axis=-1)] if self.numeric else []
        for column, encoder in zip(self.columns, self.encoders):
            codes = keras.ops.cast(inputs[..., column.position], "int32")
            parts.append(keras.ops.cast(encoder(codes), self.compute_dtype))
        return keras.ops.concatenate([keras.ops.cast(part, self.compute_dtype) for part in parts], axis=-1)

    def compute_output_shape(self, input_shape):
        width = input_shape[-1] - len(self.columns)
        width += sum(column.size if self.encoding == "one_hot" else self.embedding_dim for column in self.columns)
        return (*input_shape[:-1], width)

    def get_config(self):
        config = {"columns": [column.to_config() for column in self.columns], "encoding": self.encoding, "embedding_dim": self.embedding_dim}
        return {**super().get_config(), **config}


def categorical_columns(model: keras.Model) -> dict[str, CategoricalColumn]:
    """{name: column} of the model's CategoricalInputs layer (searched through nested models); empty without one."""
    for layer in model.layers:
        if isinstance(layer, CategoricalInputs):
            return {column.name: column for column in layer.columns}
        if isinstance(layer, keras.Model):
            found = categorical_columns(layer)
            if found:
                return found
    return {}
