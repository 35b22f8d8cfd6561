"""`python -m framework.train --help`: every config group, its options, and each option's
fields with type, default and description; then the top-level keys and sections.

Hydra's own help cannot describe fields (hydra#633). Options and defaults
come from composing each option as the CLI would (plugin options included);
types and descriptions from the config models' `Attributes:` docs
(framework.config.field_docs), so nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from framework.config.compose import CONFIG_MODULE, HYDRA_VERSION_BASE, PRIMARY_CONFIG
from framework.config.field_docs import describe_model, load_docs
from framework.config.logger_selection import LoggingSettings
from framework.config.plan import GROUPS
from framework.config.pruning_selection import PruningSettings
from framework.config.settings import RunSettings
from framework.config.sources import register_configs
from framework.registry import ALL_REGISTRIES

# Config group -> the registry kind its options name, for groups of components.
_KIND_OF_GROUP = {
    **{group: kind for group, registry in GROUPS.items() for kind, same in ALL_REGISTRIES.items() if same is registry},
    "optimizer/schedule": "schedule",
    "logger": "logger",
    "pruning": "pruner",
}
# Keys every option of a group shares (configs/train.yaml), shown once for the group.
_SHARED_KEYS = {"logger": LoggingSettings, "pruning": PruningSettings}
# Groups whose options can be selected together (logger=[tensorboard,csv]): each
# option's fields sit under <group>.<option>, beside the keys they share.
_LIST_GROUPS = ("logger",)
_USAGE = """usage: python -m framework.train [group=option ...] [key=value ...]
       python -m framework.train -m key=a,b ...     a sweep (see sweep=optuna, sweep=parallel)
       python -m framework.train --cfg job          the composed config
       python -m framework.train --hydra-help       Hydra's own options

Each field below reads: key (type) = default, then what it does."""


def help_text() -> str:
    """The whole `--help` text."""
    register_configs()
    docs = load_docs()
    with initialize_config_module(CONFIG_MODULE, version_base=HYDRA_VERSION_BASE):
        loader = GlobalHydra.instance().config_loader()
        groups = sorted(_groups(loader, ""))
        default = hydra_compose(PRIMARY_CONFIG)
        blocks = [_USAGE, "CONFIG GROUPS (group=option)"]
        for group in groups:
            options = loader.get_group_options(group)
            blocks.append(_group_block(group, options, docs))
        blocks.append("TOP-LEVEL KEYS\n" + "\n".join(_settings_lines(default)))
    return "\n\n".join(blocks)


def _groups(loader: Any, parent: str) -> list[str]:
    """Every config group below `parent` except Hydra's own."""
    found = []
    for name in loader.list_groups(parent):
        group = f"{parent}/{name}" if parent else name
        if group == "hydra" or group == "optimizer/common":  # Hydra's, and shared values shown in each optimizer
            continue
        found.append(group)
        found += _groups(loader, group)
    return found


def _group_block(group: str, options: list[str], docs: dict) -> str:
    kind = _KIND_OF_GROUP.get(group)
    selector = group if kind else f"+{group}" if group in ("experiment", "cluster") else group
    lines = [f"{group}: {', '.join(options)}"]
    if kind is None:
        lines.append(f"  presets: {selector}=<option> sets several keys at once (see the option's file)")
        return "\n".join(lines)
    shared = _SHARED_KEYS.get(group)
    if shared is not None:
        if group in _LIST_GROUPS:
            lines.append(f"  shared by every selected {group} ({group}=[a,b] selects several):")
        else:
            lines.append(f"  shared by every {group} option:")
        default = OmegaConf.select(hydra_compose(PRIMARY_CONFIG), group)
        for name, field in describe_model(shared).items():
            lines.append(f"    {group}.{name} ({field['type']}) = {_shown(default[name])}")
            lines.append(f"        {field['description']}")
    for option in options:
        path = f"{group}.{option}" if group in _LIST_GROUPS else group.replace("/", ".")
        node = OmegaConf.select(hydra_compose(PRIMARY_CONFIG, overrides=[f"{group}={option}"]), path)
        values = OmegaConf.to_container(node, resolve=True) if node is not None else {}
        key = values.pop("name", option)
        values = {name: value for name, value in values.items() if shared is None or name not in shared.model_fields}
        fields = docs.get(kind, {}).get(key, {})
        lines.append(f"  {group}={option}" + (f"   ({kind} '{key}')" if key != option else ""))
        prefix = path
        for name, value in values.items():
            field = fields.get(name, {"type": type(value).__name__, "description": "(a plugin's field: see its docs)"})
            lines.append(f"    {prefix}.{name} ({field['type']}) = {_shown(value)}")
            if field["description"]:
                lines.append(f"        {field['description']}")
        if not values:
            lines.append("    (no fields)")
    return "\n".join(lines)


def _settings_lines(default: Any) -> list[str]:
    lines = []
    for name, field in describe_model(RunSettings).items():
        annotation = RunSettings.model_fields[name].annotation
        if field["type"] == "section":
            lines.append(f"  {name}: {field['description']}")
            for sub_name, sub_field in describe_model(annotation).items():
                value = OmegaConf.select(default, f"{name}.{sub_name}")
                lines.append(f"    {name}.{sub_name} ({sub_field['type']}) = {_shown(value)}")
                lines.append(f"        {sub_field['description']}")
        else:
            value = OmegaConf.to_container(default[name]) if OmegaConf.is_config(default[name]) else default[name]
            lines.append(f"  {name} ({field['type']}) = {_shown(value)}")
            lines.append(f"      {field['description']}")
    return lines


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])  # a nested spec: its own group lists its fields
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)
