"""Registries: every component the framework builds, looked up by key.

Config files name components by registry key only, never by import path, so a
config cannot run arbitrary code. Built-in components and plugins register the
same way::

    from framework.registry import LAYERS

    @LAYERS.register("my_layer")
    class MyLayer(keras.layers.Layer): ...

This module imports neither TensorFlow nor Keras: `--cfg job` and `--help`
stay fast.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import functools
import importlib.metadata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from framework.errors import ConfigError, RegistryConflictError, UnknownComponentError
from framework.registry.arguments import check_keyword_names, settable_arguments
from framework.registry.did_you_mean import closest
from framework.registry.keras_arguments import check_keras_names
from framework.registry.schema import validate_fields

T = TypeVar("T", bound=Callable[..., Any])

# The distribution whose plugin module is being imported, so registrations made
# during that import are attributed to it (see framework.plugins).
_current_distribution: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "framework_current_distribution", default=None
)


@contextlib.contextmanager
def registering_for(distribution: str) -> Iterator[None]:
    """Attributes every registration made inside the block to `distribution`."""
    token = _current_distribution.set(distribution)
    try:
        yield
    finally:
        _current_distribution.reset(token)


@dataclass(frozen=True)
class Entry:
    """One registered component.

    Attributes:
        key: The registry key configs use.
        factory: The class or function that builds the component.
        config: Optional pydantic model validating the factory's keyword
            arguments; without one the factory validates them itself.
        distribution: "built-in", or the plugin distribution that registered it.
    """

    key: str
    factory: Callable[..., Any]
    config: type | None
    distribution: str

    @property
    def origin(self) -> str:
        where = f"{self.factory.__module__}.{self.factory.__qualname__}"
        return f"{where} ({self.distribution})"


@dataclass(frozen=True)
class Resolved:
    """A config spec looked up and validated, ready to build.

    Attributes:
        kind: The registry's kind, for messages ("layer", "model"...).
        entry: The registered component.
        kwargs: Its validated keyword arguments from the config.
        where: The config path of the spec, e.g. "model.layers[0]".
    """

    kind: str
    entry: Entry
    kwargs: dict[str, Any]
    where: str

    @property
    def key(self) -> str:
        return self.entry.key

    def build(self, **runtime: Any) -> Any:
        """Calls the factory with the config's arguments and `runtime` ones (from the run, not the config)."""
        try:
            return self.entry.factory(**self.kwargs, **runtime)
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"{self.where}: {self.kind} '{self.entry.key}' rejected its arguments "
                f"{_format_kwargs(self.kwargs)}: {error}.{_accepted_arguments(self.entry.factory, self.kwargs)}"
            ) from error


class Registry(Generic[T]):
    """Maps keys to component factories of one kind (layer, model, loss...)."""

    def __init__(
        self,
        kind: str,
        on_register: Callable[[Entry], None] | None = None,
        check_arguments: Callable[[Mapping[str, Any], str, str], None] | None = None,
    ):
        """Args:
        kind: What the registry holds, in words ("layer", "loss").
        on_register: Called with each new entry (layers become Keras-serializable).
        check_arguments: Called as `check(kwargs, where, what)` on every resolved
            spec, after the names are checked; raises ConfigError for a value
            the registry's kind never accepts from a config.
        """
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._on_register = on_register
        self._check_arguments = check_arguments
        # Plugins that failed to import; named in unknown-key errors because
        # the missing component may be theirs.
        self.failed_plugins: dict[str, str] = {}

    def register(self, key: str, *, config: type | None = None) -> Callable[[T], T]:
        """Decorator registering a factory under `key`.

        Registering the same factory again is harmless (a plugin imported
        twice); a different factory under a taken key is an error naming both.
        """
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(
                f"{self.kind} registry keys must be identifiers like 'my_layer'. "
                f"Received: {key!r}"
            )

        def decorator(factory: T) -> T:
            existing = self._entries.get(key)
            if existing is not None and existing.factory is factory:
                return factory
            entry = Entry(key, factory, config, _distribution_of(factory))
            if existing is not None and not _same_factory(existing.factory, factory):
                raise RegistryConflictError(
                    f"Two different {self.plural} are registered under the key "
                    f"'{key}': first {existing.origin}, then {entry.origin}. "
                    f"Uninstall one of them, or register one under another key."
                )
            if existing is not None:  # a reloaded module: its new class object is the one in use now
                entry = Entry(key, factory, config, existing.distribution)
            self._entries[key] = entry
            if self._on_register is not None:
                self._on_register(entry)
            return factory

        return decorator

    def get(self, key: str, where: str = "") -> Entry:
        """Returns the entry for `key`, or raises an error that lists the choices."""
        try:
            return self._entries[key]
        except KeyError:
            raise UnknownComponentError(self._unknown_key_message(key, where)) from None

    def build(self, spec: Mapping[str, Any], where: str, **runtime: Any) -> Any:
        """Builds a component from `{name: <key>, **kwargs}` found at config path `where`.

        `runtime` holds arguments that come from the run rather than the
        config, such as a logger's run directory.
        """
        return self.resolve(spec, where).build(**runtime)

    def resolve(self, spec: Mapping[str, Any], where: str) -> Resolved:
        """Looks up the entry named by `spec` and validates its arguments; builds nothing."""
        if not isinstance(spec, Mapping) or "name" not in spec:
            raise ConfigError(
                f"{where}: expected a mapping like {{name: <{self.kind} key>, ...}}. "
                f"Received: {spec!r}. Available {self.plural}: {', '.join(self.keys())}."
            )
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        entry = self.get(spec["name"], where=f"{where}.name")
        what = f"{self.kind} '{entry.key}'"
        if entry.config is not None:
            kwargs = validate_fields(entry.config, kwargs, where, what)
        else:
            check_keyword_names(entry.factory, kwargs, where, what)
        if self._check_arguments is not None:
            self._check_arguments(kwargs, where, what)
        return Resolved(self.kind, entry, kwargs, where)

    @property
    def plural(self) -> str:
        if self.kind.endswith("s"):
            return f"{self.kind}es"
        return f"{self.kind[:-1]}ies" if self.kind.endswith("y") else f"{self.kind}s"

    def keys(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[key] for key in self.keys()]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def unregister(self, key: str) -> None:
        """Removes `key`; for tests that register throwaway components."""
        self._entries.pop(key, None)

    def _unknown_key_message(self, key: str, where: str) -> str:
        location = f"{where}: " if where else ""
        snake_case = _keras_snake_case(str(key))
        if snake_case != key and snake_case in self._entries:  # a Keras class name, e.g. Dense or Conv2D
            return (
                f"{location}unknown {self.kind} '{key}': {self.plural} are named by Keras's snake-case name "
                f"of their class, so Keras's {key} is '{snake_case}': write {{name: {snake_case}, ...}}."
            )
        lines = [
            f"{location}unknown {self.kind} '{key}'. "
            f"Available {self.plural}: {', '.join(self.keys()) or '(none)'}."
        ]
        close = difflib.get_close_matches(str(key), self.keys(), n=3, cutoff=0.6)
        if close:
            lines.append(f"Did you mean {' or '.join(repr(c) for c in close)}?")
        if self.failed_plugins:
            failed = "; ".join(f"{name} ({cause})" for name, cause in self.failed_plugins.items())
            lines.append(f"These installed plugins failed to load and may provide it: {failed}.")
        lines.append(
            f"If '{key}' comes from a plugin, pip install that plugin, or list its "
            f"module in plugins=[...] to import it."
        )
        return " ".join(lines)


def _keras_snake_case(name: str) -> str:
    """Keras's own class -> name rule (Conv2D -> conv2d), the rule that names built-in layers and losses."""
    try:
        from keras.src.utils.naming import to_snake_case
    except ImportError:  # without Keras there are no Keras names to point at
        return name
    return to_snake_case(name)


def _top_level_package(factory: Callable[..., Any]) -> str:
    return (getattr(factory, "__module__", "") or "").split(".")[0]


def _distribution_of(factory: Callable[..., Any]) -> str:
    # The same class gets the same origin however its module was first
    # imported: through its entry point, by plugins=[...], or by user code.
    package = _top_level_package(factory)
    if package in ("framework", "keras"):
        return "built-in"
    installed = _installed_distributions().get(package)
    return _current_distribution.get() or (installed[0] if installed else package)


@functools.cache
def _installed_distributions() -> Mapping[str, list[str]]:
    """{top-level import package: [distributions providing it]}, read once."""
    return importlib.metadata.packages_distributions()


def _same_factory(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    # A module imported twice (importlib.reload, a plugin on two paths) makes
    # new class objects with the same qualified name: still the same component.
    return a is b or (
        getattr(a, "__module__", None) == getattr(b, "__module__", None)
        and getattr(a, "__qualname__", None) == getattr(b, "__qualname__", None)
    )


def _accepted_arguments(factory: Callable[..., Any], kwargs: Mapping[str, Any]) -> str:
    """Names the factory's keyword arguments and the closest to each unknown one."""
    accepted = settable_arguments(factory)
    if accepted is None:
        return ""
    hints = [f" It accepts: {', '.join(accepted)}."]
    for name in kwargs:
        close = closest(name, accepted)
        if name not in accepted and close:
            hints.append(f" Did you mean {close} instead of {name}?")
    return "".join(hints)


def _format_kwargs(kwargs: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in kwargs.items()) + "}"


def _make_keras_serializable(entry: Entry) -> None:
    # Layers saved in a .keras file reload only if Keras knows their class;
    # registering in LAYERS is all a plugin has to do for that. The Keras
    # package is the layer's top-level import package, which never changes
    # with how it was installed or imported, so a model saved while the code
    # was local (plugins=[...]) still reloads once the plugin is installed.
    import keras

    package = _top_level_package(entry.factory)
    if package == "keras":
        return  # Keras's own layers are serializable already, under their own names.
    keras.saving.register_keras_serializable(package=package)(entry.factory)


# Every registry, one line each.
LAYERS: Registry = Registry(  # Keras layers for model stacks
    "layer", on_register=_make_keras_serializable, check_arguments=check_keras_names
)
MERGE_LAYERS: Registry = Registry(  # Keras layers combining several inputs, for graph models (add, concatenate...)
    "merge layer", on_register=_make_keras_serializable, check_arguments=check_keras_names
)
MODELS: Registry = Registry("model")  # builders returning an unbuilt keras.Model
LOSSES: Registry = Registry("loss")  # Keras loss classes
DATA: Registry = Registry("data source")  # seeded sources of batches by (epoch, step): synthetic, files, bundled sets
STRATEGIES: Registry = Registry("strategy")  # how to loop: GradientTape, model.fit
OPTIMIZERS: Registry = Registry("optimizer")  # Keras optimizers
SCHEDULES: Registry = Registry("learning-rate schedule")  # optimizer.schedule: Keras schedules, optional warmup
LOGGERS: Registry = Registry("logger")  # RunLoggers recording a run (TensorBoard, none)
DISTRIBUTIONS: Registry = Registry("distribution")  # none, mirrored, multi_worker (tf.distribute), data_parallel, model_parallel (JAX)
METRICS: Registry = Registry("metric")  # Keras metrics for the top-level `metrics: [...]` list
CALLBACKS: Registry = Registry("callback")  # Keras callbacks for the top-level `callbacks: [...]` list
PRUNERS: Registry = Registry("pruner")  # Optuna pruners stopping hopeless sweep=optuna trials (pruning=median)

# Every registry by the kind `python -m framework.list KIND` takes.
ALL_REGISTRIES: dict[str, Registry] = {
    "layer": LAYERS,
    "merge": MERGE_LAYERS,
    "model": MODELS,
    "loss": LOSSES,
    "data": DATA,
    "strategy": STRATEGIES,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "logger": LOGGERS,
    "distribution": DISTRIBUTIONS,
    "metric": METRICS,
    "callback": CALLBACKS,
    "pruner": PRUNERS,
}
