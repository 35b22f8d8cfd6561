"""Makes config files selectable on the command line without copying them:
the framework's experiment presets and the configs that plugins ship.

Hydra finds config groups by walking directories under its search path, and
its own plugin scan misses editable (PEP 660) installs. Instead each file is
read here and stored in Hydra's ConfigStore, which the search path always
includes, so `model=<preset>` and `+experiment=<name>` work the same for
regular and editable installs.

A plugin declares its config folder with an entry point in the group
`framework.configs` whose value names the folder as a dotted path inside its
package, e.g. `my_plugin.configs`. The folder is found with
importlib.util.find_spec on the top-level package, which does not execute the
package: composing a config (`--cfg job`, `--help`) imports no plugin code and
no TensorFlow. Inside the folder each sub-folder is a config group
(`model/`, `experiment/`, ...) holding `<option>.yaml` files.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import importlib.util
import logging
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from framework.errors import PluginError

EXPERIMENTS_PACKAGE = "framework.experiments"
BUILTIN_CONFIGS_PACKAGE = "framework.conf"
CONFIGS_ENTRY_POINT_GROUP = "framework.configs"
EXPERIMENT_GROUP = "experiment"

_PACKAGE_HEADER = re.compile(r"#\s*@package\s+(\S+)")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfigFile:
    """One option of a config group, shipped by a plugin.

    Attributes:
        group: The config group, e.g. "model" or "experiment".
        name: The option's name, the file name without `.yaml`.
        path: The file.
        distribution: The plugin distribution that ships it.
    """

    group: str
    name: str
    path: Path
    distribution: str

    @property
    def option(self) -> str:
        return f"{self.group}/{self.name}"


def register_configs() -> list[ConfigFile]:
    """Makes the experiment presets and every installed plugin's configs selectable.

    Raises:
        PluginError: Two sources ship the same option of one group.
    """
    register_experiments()
    register_framework_sweeper()
    return register_plugin_configs()


def register_framework_sweeper() -> None:
    """Makes the sweeper of sweep=optuna known to Hydra.

    Hydra finds plugins by walking the `hydra_plugins` package's folders; an
    editable install puts the framework's there through an import hook, which
    that walk misses, so the class is registered by hand (harmless twice).
    """
    from hydra.core.plugins import Plugins

    from hydra_plugins.framework_sweeper.optuna_study_sweeper import OptunaStudySweeper

    Plugins.instance().register(OptunaStudySweeper)


def register_experiments(package: str = EXPERIMENTS_PACKAGE) -> list[str]:
    """Stores every `*.yaml` of `package` as an `experiment` option; returns their names."""
    store = ConfigStore.instance()
    names = []
    for resource in sorted(importlib.resources.files(package).iterdir(), key=lambda r: r.name):
        if resource.name.endswith(".yaml"):
            name = resource.name.removesuffix(".yaml")
            store.store(group=EXPERIMENT_GROUP, name=name, node=OmegaConf.create(resource.read_text()), package="_global_")
            names.append(name)
    return names


def register_plugin_configs() -> list[ConfigFile]:
    """Stores every config file of every installed plugin in its group; returns them.

    A file that is not valid YAML is skipped with a warning naming it.

    Raises:
        PluginError: A plugin ships an option that the framework or another
            plugin already provides.
    """
    store = ConfigStore.instance()
    owners = dict.fromkeys(builtin_options(), "built-in")
    registered = []
    for config in plugin_config_files():
        owner = owners.setdefault(config.option, config.distribution)
        if owner != config.distribution:
            first = "the framework itself" if owner == "built-in" else f"'{owner}'"
            raise PluginError(
                f"The config {config.option} is shipped by both {first} and the plugin "
                f"'{config.distribution}' ({config.path}); one name can select only one of them. "
                f"Rename the plugin's file, or uninstall one of the plugins."
            )
        node = load_config_file(config)
        if node is not None:
            store.store(group=config.group, name=config.name, node=node, package=_package_of(config.group, config.path.read_text()))
            registered.append(config)
    return registered


def load_config_file(config: ConfigFile) -> DictConfig | None:
    """The file's contents, or None (and a warning naming it) if it is not a YAML mapping."""
    try:
        node = OmegaConf.create(config.path.read_text())
    except (yaml.YAMLError, OmegaConfBaseException) as error:
        log.warning("Plugin '%s': skipping the config %s, which is not valid YAML: %s", config.distribution, config.path, error)
        return None
    if not isinstance(node, DictConfig):
        log.warning("Plugin '%s': skipping the config %s, which is not a mapping of keys to values", config.distribution, config.path)
        return None
    return node


def plugin_config_files() -> list[ConfigFile]:
    """Every `<group>/<option>.yaml` in installed plugins' config folders, without importing them.

    A folder that cannot be found is skipped with one warning naming the plugin.
    """
    files = []
    for entry_point in importlib.metadata.entry_points(group=CONFIGS_ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist else entry_point.value
        try:
            folder = locate_config_folder(entry_point.value)
        except PluginError as error:
            log.warning("Plugin '%s' (entry point %s = %s): its configs are skipped: %s", distribution, entry_point.name, entry_point.value, error)
            continue
        for path in sorted(folder.rglob("*.yaml")):
            *group, _ = path.relative_to(folder).parts
            if group:  # a file directly in the folder belongs to no group
                files.append(ConfigFile("/".join(group), path.stem, path, distribution))
    return files


def locate_config_folder(dotted_path: str) -> Path:
    """The folder `dotted_path` (e.g. "my_plugin.configs") names, found without importing it.

    Raises:
        PluginError: The top-level package is not installed, or has no such folder.
    """
    top, *inside = dotted_path.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: nothing gets executed
    except (ImportError, ValueError) as error:
        raise PluginError(f"cannot look up the package '{top}': {error}") from error
    if spec is None or not spec.submodule_search_locations:
        raise PluginError(f"'{top}' is not an installed package, so it has no config folder {dotted_path}")
    for location in spec.submodule_search_locations:
        folder = Path(location, *inside)
        if folder.is_dir():
            return folder
    raise PluginError(
        f"the package '{top}' has no folder {'/'.join(inside)} "
        f"(looked in {', '.join(spec.submodule_search_locations)}); "
        f"ship it as package data (setup.cfg [options.package_data])"
    )


def builtin_options() -> list[str]:
    """Every `<group>/<option>` the framework ships itself, experiments included."""
    options = [f"{EXPERIMENT_GROUP}/{name}" for name in _yaml_names(importlib.resources.files(EXPERIMENTS_PACKAGE))]
    pending = [("", importlib.resources.files(BUILTIN_CONFIGS_PACKAGE))]
    while pending:
        group, folder = pending.pop()
        for child in folder.iterdir():
            if child.is_dir():
                pending.append((f"{group}/{child.name}".lstrip("/"), child))
        if group:
            options += [f"{group}/{name}" for name in _yaml_names(folder)]
    return sorted(options)


def options_with_key(group: str, key: str) -> list[str]:
    """The options of config group `group` (built-in and plugins') whose file sets `key`, e.g.
    ("model", "layers") -> ["sequential"]; read as YAML, nothing imported."""
    folder = importlib.resources.files(BUILTIN_CONFIGS_PACKAGE) / group
    texts = {child.name.removesuffix(".yaml"): child.read_text() for child in (folder.iterdir() if folder.is_dir() else ())
             if child.name.endswith(".yaml")}
    texts.update({config.name: config.path.read_text() for config in plugin_config_files() if config.group == group})
    found = []
    for option, text in sorted(texts.items()):
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # reported where the option is selected
        if isinstance(values, dict) and key in values:
            found.append(option)
    return found


def _yaml_names(folder: Traversable) -> list[str]:
    return [child.name.removesuffix(".yaml") for child in folder.iterdir() if child.name.endswith(".yaml")]


def _package_of(group: str, text: str) -> str | None:
    # ConfigStore keeps no `# @package` header, so it is passed on here;
    # experiments set values all over the config, as Hydra's convention has it.
    for line in text.splitlines():
        if not line.startswith("#"):
            break  # Hydra reads the header from the leading comments only
        header = _PACKAGE_HEADER.match(line)
        if header:
            return header.group(1)
    return "_global_" if group == EXPERIMENT_GROUP else None
