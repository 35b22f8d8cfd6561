"""A built model's layers by name, looking inside the models it nests.

Fine-tuning matches layers by name and freezing picks them by name, whatever
wraps them: the data's Normalization in front (data.normalize=true), an
application's backbone, a stack inside a graph. A nested model
(Sequential, functional) is looked into; any other layer is one unit with
all of its weights (a Bidirectional layer's two LSTMs are one unit).
"""

from __future__ import annotations

from collections.abc import Iterator

import keras


def layer_units(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """Every layer of `model` that holds weights of its own, by name; nested models are looked into.

    A model without sublayers (a subclassed model such as the linear one) is
    itself the unit. Names repeated in two nested models are qualified with
    the names of the models around them (`outer/dense`).
    """
    units = [(path, layer) for path, layer, nested in _walk(model, ()) if not nested and layer.weights]
    return _by_name(units)


def named_layers(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """Every layer of `model` by name, nested models themselves included (freezing one freezes its
    layers); a model without sublayers (the linear one) is its own one layer."""
    return _by_name([(path, layer) for path, layer, nested in _walk(model, ()) if path or not nested])


def _walk(layer: keras.layers.Layer, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], keras.layers.Layer, bool]]:
    """(names from the top, layer, whether it nests layers) for `layer` and everything inside it."""
    nested = isinstance(layer, keras.Model) and bool(layer.layers)
    yield path, layer, nested
    if nested:
        for inner in layer.layers:
            if not isinstance(inner, keras.layers.InputLayer):
                yield from _walk(inner, (*path, inner.name))


def _by_name(units: list[tuple[tuple[str, ...], keras.layers.Layer]]) -> dict[str, keras.layers.Layer]:
    names = [path[-1] if path else layer.name for path, layer in units]
    return {
        (name if names.count(name) == 1 else "/".join(path)): layer
        for name, (path, layer) in zip(names, units)
    }
