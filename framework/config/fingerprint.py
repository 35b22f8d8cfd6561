"""What makes a run the same experiment: its config minus the keys a resume may change.

A run's checkpoints record this fingerprint (with the framework's version);
resuming compares it with the config being resumed and refuses, key by key,
anything that would continue a different experiment from these weights.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import framework

# Top-level keys a resume may change: when and how to train, log and save,
# not the model, data, loss, optimizer or seed.
RESUMABLE_KEYS = (
    "epochs", "verbose", "resume", "logger", "checkpoint", "validation", "early_stopping", "strategy", "plots", "pruning", "callbacks",
    "allow_changed_data",
)


def experiment_fingerprint(config: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment `config` (plain Python, resolved) describes, as a JSON-ready mapping."""
    return {
        "framework_version": framework.__version__,
        "config": {key: value for key, value in config.items() if key not in RESUMABLE_KEYS},
    }


def experiment_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """One line `  key: old -> new` per flattened key that differs, resumable keys aside."""
    old, new = dict(_flatten(before, "")), dict(_flatten(after, ""))
    lines = []
    for key in sorted(set(old) | set(new)):
        if key.split(".")[0].split("[")[0] in RESUMABLE_KEYS or old.get(key) == new.get(key):
            continue
        was = repr(old[key]) if key in old else "(absent)"
        now = repr(new[key]) if key in new else "(absent)"
        lines.append(f"  {key}: {was} -> {now}")
    return lines


def _flatten(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _flatten(value, f"{prefix}[{index}]")
    else:
        yield prefix, node
