"""Configs are data: they name registry keys, never Python objects.

The framework never calls `hydra.utils.instantiate`; every component is built
from a registry key, and `plugins=[...]` is the one place a module is
imported. A `_target_` key (Hydra's way of naming a callable) therefore has no
meaning here; it is refused rather than silently ignored, so nobody believes
a config ran code it did not. Saved models load with Keras safe mode
(framework.saving), so a model file cannot run code either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, OmegaConf

from framework.errors import ConfigError

_CODE_KEYS = ("_target_", "_partial_", "_args_")


def reject_code_references(cfg: DictConfig) -> None:
    """Raises ConfigError naming every `_target_`-style key in `cfg` (Hydra's own section aside)."""
    plain = OmegaConf.to_container(cfg, resolve=False)
    plain.pop("hydra", None)
    found = [path for path in _key_paths(plain, "") if path.rpartition(".")[2] in _CODE_KEYS]
    if found:
        raise ConfigError(
            f"{', '.join(found)}: configs name components by registry key, never by Python path "
            f"or _target_, so a config cannot run code. Remove the key and select the component "
            f"with name: <registry key>; to use your own code, register it and list its module "
            f"in plugins=[...]."
        )


def _key_paths(node: Any, prefix: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from _key_paths(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _key_paths(value, f"{prefix}[{index}]")
