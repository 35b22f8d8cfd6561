import pytest

from framework.errors import ConfigError, RegistryConflictError, UnknownComponentError
from framework.registry import Registry
from framework.registry.arguments import keyword_arguments
from framework.registry.schema import ComponentConfig


def make_registry() -> Registry:
    return Registry("widget")


def test_register_and_build():
    registry = make_registry()

    @registry.register("square")
    def square(side):
        return side * side

    assert registry.build({"name": "square", "side": 3}, where="widget") == 9
    assert registry.keys() == ["square"]
    assert "square" in registry


def test_registering_the_same_object_twice_is_harmless():
    registry = make_registry()

    def factory():
        return 1

    registry.register("one")(factory)
    registry.register("one")(factory)
    assert registry.keys() == ["one"]


def test_a_different_object_under_a_taken_key_names_both_origins():
    registry = make_registry()

    def first():
        return 1

    def second():
        return 2

    registry.register("thing")(first)
    with pytest.raises(RegistryConflictError, match=r"'thing': first .*first \(.*\), then .*second"):
        registry.register("thing")(second)


def test_unknown_key_lists_choices_and_suggests_close_names():
    registry = make_registry()
    for key in ("dense", "dropout", "activation"):
        registry.register(key)(lambda: None)
    with pytest.raises(UnknownComponentError) as raised:
        registry.get("dens", where="model.layers[0].name")
    message = str(raised.value)
    assert "model.layers[0].name: unknown widget 'dens'" in message
    assert "Available widgets: activation, dense, dropout." in message
    assert "Did you mean 'dense'" in message
    assert "pip install that plugin" in message


def test_unknown_key_names_plugins_that_failed_to_load():
    registry = make_registry()
    registry.failed_plugins["broken-plugin"] = "ImportError: no numpy"
    with pytest.raises(UnknownComponentError, match=r"failed to load and may provide it: broken-plugin \(ImportError: no numpy\)"):
        registry.get("anything")


def test_keys_must_be_identifiers():
    with pytest.raises(ValueError, match=r"identifiers like 'my_layer'. Received: 'has space'"):
        make_registry().register("has space")


class SizeConfig(ComponentConfig):
    size: int


def test_config_model_validates_arguments_with_the_full_path():
    registry = make_registry()
    registry.register("box", config=SizeConfig)(lambda size: size)
    assert registry.build({"name": "box", "size": "4"}, where="thing") == 4
    with pytest.raises(ConfigError, match=r"thing.size='big' is invalid: input should be a valid integer"):
        registry.build({"name": "box", "size": "big"}, where="thing")
    with pytest.raises(ConfigError, match=r"thing.sise=1 is not a known key; expected one of: size. Did you mean thing.size\?"):
        registry.build({"name": "box", "size": 1, "sise": 1}, where="thing")


def test_factory_errors_name_the_accepted_arguments():
    registry = make_registry()

    @registry.register("pair")
    def pair(left, right):
        return left, right

    # A misspelt name is caught by resolve, before anything is built.
    with pytest.raises(ConfigError, match=r"w.rihgt: widget 'pair' takes no argument 'rihgt'. Did you mean right\? It accepts: left, right\."):
        registry.resolve({"name": "pair", "left": 1, "rihgt": 2}, where="w")
    # A value the factory refuses is caught when it builds.
    with pytest.raises(ConfigError, match=r"widget 'pair' rejected its arguments \{left: 1\}.*It accepts: left, right\."):
        registry.build({"name": "pair", "left": 1}, where="w")


def test_keyword_names_follow_kwargs_up_the_class_hierarchy():
    registry = make_registry()

    class Base:
        def __init__(self, *, trainable=True):
            self.trainable = trainable

    class Pass(Base):
        def __init__(self, *args, **kwargs):  # hands everything on, like Keras's backend layer
            super().__init__(*args, **kwargs)

    @registry.register("child")
    class Child(Pass):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

    @registry.register("anything")
    def anything(**kwargs):
        return kwargs

    assert keyword_arguments(Child) == ["units", "trainable"]
    assert keyword_arguments(anything) is None
    built = registry.build({"name": "child", "units": 2, "trainable": False}, where="w")
    assert (built.units, built.trainable) == (2, False)
    with pytest.raises(ConfigError, match=r"w.unit: widget 'child' takes no argument 'unit'. Did you mean units\? It accepts: units, trainable\."):
        registry.resolve({"name": "child", "unit": 2}, where="w")
    assert registry.build({"name": "anything", "free": 1}, where="w") == {"free": 1}


def test_spec_without_name_is_rejected():
    with pytest.raises(ConfigError, match=r"w: expected a mapping like \{name: <widget key>"):
        make_registry().build({"size": 1}, where="w")


def test_builtin_registries_hold_the_documented_components():
    from framework.plugins import load_plugins
    from framework.registry import (
        DATA,
        LAYERS,
        LOGGERS,
        LOSSES,
        MODELS,
        OPTIMIZERS,
        STRATEGIES,
    )

    load_plugins()
    assert {"linear", "my_dense", "sequential"} <= set(MODELS.keys())
    assert {"my_dense", "dense", "activation", "dropout"} <= set(LAYERS.keys())
    assert {"mse", "mae", "huber"} <= set(LOSSES.keys())
    assert {"linear", "sine"} <= set(DATA.keys())
    assert {"tape", "fit"} <= set(STRATEGIES.keys())
    assert {"sgd", "adam"} <= set(OPTIMIZERS.keys())
    assert {"tensorboard", "mlflow", "csv", "none"} <= set(LOGGERS.keys())
