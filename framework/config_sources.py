"""Makes the experiment presets selectable as `+experiment=NAME`.

The presets live in the top-level experiments/ folder (installed as the
package `framework.experiments`). Hydra finds config groups by walking
directories under a search-path root, which would need an `experiment/`
folder beside configs/; instead each preset is read with importlib.resources,
which works the same for regular and editable installs, and stored in Hydra's
ConfigStore under the group `experiment` at the global package, as
`# @package _global_` declares.
"""

from __future__ import annotations

import importlib.resources

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

EXPERIMENTS_PACKAGE = "framework.experiments"


def register_experiments(package: str = EXPERIMENTS_PACKAGE) -> list[str]:
    """Stores every `*.yaml` of `package` as an `experiment` option; returns their names."""
    store = ConfigStore.instance()
    names = []
    for resource in sorted(importlib.resources.files(package).iterdir(), key=lambda r: r.name):
        if resource.name.endswith(".yaml"):
            name = resource.name.removesuffix(".yaml")
            store.store(group="experiment", name=name, node=OmegaConf.create(resource.read_text()), package="_global_")
            names.append(name)
    return names
