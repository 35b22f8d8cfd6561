"""Fixtures only; shared helpers are in tests/helpers."""

from __future__ import annotations

import copy
import gc
import os
import sys
from collections.abc import Callable

import pytest
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from framework.config import compose
from framework.plugins import load_installed_plugins, load_plugins
from framework.registry import ALL_REGISTRIES

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# TensorFlow and Keras once per test process, their objects frozen as the commands
# freeze them (framework.start_up): every in-process run's keras.backend.clear_session()
# collects garbage, which would otherwise traverse all of them (a quarter of a second).
import framework.run  # noqa: E402, F401

gc.freeze()


@pytest.fixture
def compose_config() -> Callable[..., DictConfig]:
    """Composes configs/train.yaml with overrides, exactly as the CLI would."""
    return lambda *overrides: compose(overrides)


@pytest.fixture
def train(tmp_path):
    """Runs `run(cfg)` for the given overrides in a fresh run directory."""
    from framework.run import run

    counter = iter(range(1000))

    def _train(*overrides: str):
        return run(compose(overrides), tmp_path / f"run{next(counter)}")

    return _train


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path for fake installed distributions; all plugin state restored after."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    load_plugins()
    compose()  # Hydra stores its own configs on first use; keep them in the snapshot
    keys = {kind: set(registry.keys()) for kind, registry in ALL_REGISTRIES.items()}
    failed = {kind: dict(registry.failed_plugins) for kind, registry in ALL_REGISTRIES.items()}
    store = copy.deepcopy(ConfigStore.instance().repo)
    load_installed_plugins.cache_clear()
    yield folder
    load_installed_plugins.cache_clear()
    for kind, registry in ALL_REGISTRIES.items():
        for key in set(registry.keys()) - keys[kind]:
            registry.unregister(key)
        registry.failed_plugins.clear()
        registry.failed_plugins.update(failed[kind])
    ConfigStore.instance().repo = store
    for name in [name for name, module in sys.modules.items() if str(getattr(module, "__file__", "")).startswith(str(folder))]:
        del sys.modules[name]
