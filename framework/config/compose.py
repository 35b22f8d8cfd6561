"""Composing a run's config outside the command line, exactly as the CLI does."""

from __future__ import annotations

from collections.abc import Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_module
from omegaconf import DictConfig

from framework.config.run_claim import register_resolvers
from framework.config.sources import register_configs

# Where configs/ is installed, and its primary config (configs/train.yaml).
CONFIG_MODULE = "framework.conf"
PRIMARY_CONFIG = "train"
HYDRA_VERSION_BASE = "1.3"


def compose(overrides: Sequence[str] = (), *, with_hydra: bool = False) -> DictConfig:
    """The run config that `python -m framework.train OVERRIDES` would compose.

    The experiment presets and every installed plugin's configs are made
    selectable first, as the CLI does, so `+experiment=...` and plugin
    options work. `with_hydra` also returns Hydra's own `hydra:` section
    (launcher, sweeper, callbacks).

    Raises:
        hydra.errors.ConfigCompositionException: An override names no key or option.
    """
    register_configs()
    register_resolvers()
    with initialize_config_module(CONFIG_MODULE, version_base=HYDRA_VERSION_BASE):
        return hydra_compose(PRIMARY_CONFIG, overrides=list(overrides), return_hydra_config=with_hydra)
