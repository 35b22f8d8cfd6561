"""Keras Applications by snake_case name, and their input preprocessing as a layer.

Every model constructor of `keras.applications` has a key: `ResNet50` ->
`resnet50`, `EfficientNetB0` -> `efficientnet_b0`, `MobileNetV3Small` ->
`mobilenet_v3_small`, `ConvNeXtTiny` -> `convnext_tiny`. Each application's
module has its own `preprocess_input` (scaling to [-1, 1], caffe's BGR mean
subtraction, torch's normalization, or nothing where the model does it
itself); `ApplicationPreprocessing` runs it inside the model, so a saved
model, framework.predict and the SavedModel take raw pixels in [0, 255].
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable

import keras

from framework.registry import LAYERS


def application_key(class_name: str) -> str:
    """The key of an application constructor: lower case, words split before capitals
    and version numbers, 'Net' and 'NeXt' kept with their word (ResNet50V2 -> resnet50_v2)."""
    name = re.sub(r"(?<=[a-zA-Z])Ne(?=Xt)", "ne", class_name).replace("neXt", "next")
    name = re.sub(r"(?<=[a-zA-Z])Net", "net", name)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@functools.cache
def applications() -> dict[str, Callable[..., keras.Model]]:
    """{key: constructor} for every model of keras.applications."""
    return {
        application_key(name): getattr(keras.applications, name)
        for name in dir(keras.applications)
        if name[:1].isupper() and callable(getattr(keras.applications, name))
    }


def preprocessing(application: str) -> Callable:
    """The `preprocess_input` of the application's own module (keras.applications.<module>)."""
    module = applications()[application].__module__.rsplit(".", 1)[1]
    return importlib.import_module(f"keras.applications.{module}").preprocess_input


@LAYERS.register("application_preprocessing")
class ApplicationPreprocessing(keras.layers.Layer):
    """The input preprocessing of a Keras Application, on pixel values in [0, 255].

    Args:
        application: The application's key (`resnet50`, `mobilenet_v3_small`, ...).
    """

    def __init__(self, application: str, **kwargs):
        if application not in applications():
            raise ValueError(f"expected a Keras Applications key such as resnet50. Received: application={application!r}")
        super().__init__(**kwargs)
        self.application = application
        self._preprocess = preprocessing(application)

    def call(self, inputs):
        return self._preprocess(keras.ops.cast(inputs, self.compute_dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "application": self.application}
