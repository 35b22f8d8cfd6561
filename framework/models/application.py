"""model=application: a Keras Applications backbone (resnet50, efficientnet_b0, ...) with a head from config.

    python -m framework.train data=images data.path=pets model=application \
        model.application=mobilenet_v3_small model.weights=null 'model.head=[{name: dense, units: 2}]'

The model is input -> the application's preprocessing (a layer, so raw pixels
in [0, 255] go in) -> the backbone (include_top=false, pooled) -> the head's
layers. The input shape is the data's. Weights are random (null) or read
from a local file: nothing is downloaded, so runs behave the same offline and
behind firewalls. The backbone is a nested model named after its class
(`MobileNetV3Small`), so `freeze=[MobileNetV3Small]` freezes all of it.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

import keras
import pydantic

from framework.config.paths import describe_path, resolve_path
from framework.errors import ConfigError, raise_together
from framework.layers.application_preprocessing import (
    ApplicationPreprocessing,
    applications,
)
from framework.layers.specs import resolve_layer
from framework.registry import LAYERS, MODELS
from framework.registry.arguments import check_keyword_names
from framework.registry.keras_arguments import check_keras_names
from framework.registry.schema import ComponentConfig

# Arguments of an application the model sets itself.
_SET_HERE = ("include_top", "weights", "input_tensor", "input_shape", "pooling")


class ApplicationModelConfig(ComponentConfig):
    """Attributes:
    application: The Keras Applications model by snake_case name: resnet50,
        efficientnet_b0, mobilenet_v3_small, convnext_tiny, ... (any model of
        keras.applications; a name that is none of them is answered with the list).
    weights: null (random initial weights), or a local weights file of the
        backbone (saved with save_weights, or a file Keras downloaded before);
        nothing is downloaded. A relative path is relative to the launch directory.
    include_top: false puts `pooling` and `head` on the backbone's features;
        true keeps the application's own classifier (give `classes` in
        arguments) and takes no head.
    pooling: avg or max: global pooling of the backbone's last feature map;
        null keeps the map (then the head flattens or pools it).
    head: Layer specs after the pooled features, e.g. [{name: dropout, rate:
        0.2}, {name: dense, units: 10}]; the last gives one output per class.
    arguments: More keyword arguments of the application (alpha,
        minimalistic, classes, classifier_activation, ...).
    """

    application: str
    weights: Annotated[str, pydantic.Field(min_length=1)] | None
    include_top: bool
    pooling: Literal["avg", "max"] | None
    head: list[dict[str, Any]]
    arguments: dict[str, Any]

    @pydantic.field_validator("application")
    @classmethod
    def _known_application(cls, application: str) -> str:
        if application not in applications():
            close = difflib.get_close_matches(application, list(applications()), n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ConfigError(
                f"model.application={application!r}: no Keras Applications model has this name.{hint} "
                f"They are: {', '.join(sorted(applications()))}."
            )
        return application

    @pydantic.field_validator("weights")
    @classmethod
    def _local_file(cls, weights: str | None) -> str | None:
        if weights is None:
            return weights
        if weights == "imagenet":
            raise ConfigError(
                "model.weights='imagenet' would download the weights, which a run never does (machines "
                "without internet access, firewalls). Download the application's 'notop' weights file once "
                "and pass its path, model.weights=<file>, or train from random weights with model.weights=null."
            )
        if not resolve_path(weights).is_file():
            raise ConfigError(
                f"model.weights: no weights file at {describe_path(resolve_path(weights), weights, 'model.weights')}. "
                f"Pass a local file (e.g. one saved with backbone.save_weights('backbone.weights.h5')), or null."
            )
        return weights

    @pydantic.model_validator(mode="after")
    def _head_and_arguments(self):
        problems = []
        if self.include_top and self.head:
            problems.append(ConfigError("model.head: with model.include_top=true the application's own classifier is the head; set model.head=[]."))
        for index, spec in enumerate(self.head):
            try:
                resolve_layer(spec, f"model.head[{index}]")
            except ConfigError as error:
                problems.append(error)
        try:
            _check_arguments(self.application, self.arguments)
        except ConfigError as error:
            problems.append(error)
        raise_together(problems)
        return self


@MODELS.register("application", config=ApplicationModelConfig)
def build_application_model(
    application: str, weights: str | None, include_top: bool, pooling: str | None, head: list[dict[str, Any]],
    arguments: dict[str, Any], input_shape: tuple[int, ...],
) -> keras.Model:
    """The application on inputs of `input_shape` (the data's), its preprocessing first and the head last."""
    inputs = keras.Input(shape=input_shape, name="input")
    features = ApplicationPreprocessing(application, name="preprocessing")(inputs)
    try:
        backbone = applications()[application](
            include_top=include_top, weights=None if weights is None else str(resolve_path(weights)),
            input_shape=tuple(input_shape), pooling=pooling, **arguments,
        )
    except (ValueError, TypeError, OSError) as error:
        cause = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"model.application={application}: Keras cannot build it for the data's images of shape "
            f"{tuple(input_shape)}{f' with the weights {weights}' if weights else ''}: {cause}"
        ) from error
    outputs = backbone(features)
    for index, spec in enumerate(head):
        outputs = LAYERS.build(spec, where=f"model.head[{index}]")(outputs)
    return keras.Model(inputs, outputs, name=application)


def _check_arguments(application: str, arguments: dict[str, Any]) -> None:
    where, what = "model.arguments", f"application '{application}'"
    taken = sorted(set(arguments) & set(_SET_HERE))
    if taken:
        raise ConfigError(f"{where}: {', '.join(taken)} are set by model.* keys (or the data), not in model.arguments.")
    check_keyword_names(applications()[application], arguments, where, what)
    check_keras_names(arguments, where, what)
