"""The structure of a graph model's layer list, checked without building anything.

Each spec of `model.layers` may carry two keys besides its layer's own:

    id       names the layer (its Keras name), so other specs can take its output
    inputs   the ids whose outputs the layer takes; `input` is the model's input.
             Without it a spec takes the output of the spec before it (the
             model's input for the first one).

The last spec's output is the model's output. Found here, all at once: ids
used twice or not written as names, inputs naming no id, a merge layer given
fewer than two inputs or another layer more than one, cycles, and outputs
nothing uses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from framework.errors import ConfigError, raise_together

INPUT = "input"  # the id of the model's input
GRAPH_KEYS = ("id", "inputs")  # keys of a spec that belong to the graph, not to its layer
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class GraphNode:
    """One spec of a graph model.

    Attributes:
        index: Its position in model.layers.
        ref: How other nodes name it: its id, or `#<index>` when it has none.
        id: The id the spec gave, or None.
        inputs: The refs of the nodes (or INPUT) whose outputs it takes, in order.
        spec: The layer's own spec, without `id` and `inputs`.
    """

    index: int
    ref: str
    id: str | None
    inputs: tuple[str, ...]
    spec: dict[str, Any]

    @property
    def where(self) -> str:
        return f"model.layers[{self.index}]"


def plan_graph(specs: list[Mapping[str, Any]], merges: set[str]) -> list[GraphNode]:
    """The nodes of `specs` in an order where every node comes after those it takes.

    Args:
        specs: model.layers as in the config.
        merges: The keys of layers that take several inputs (MERGE_LAYERS).

    Raises:
        ConfigError: Every structural problem found, in one message.
    """
    nodes, problems = _nodes(specs)
    raise_together(problems)
    refs = {node.ref for node in nodes}
    for node in nodes:
        problems += _input_problems(node, refs, merges)
    unused = {node.ref for node in nodes[:-1]} - {ref for node in nodes for ref in node.inputs}
    problems += [
        ConfigError(
            f"{node.where}: the output of this layer{_named(node)} is taken by no layer and is not the model's "
            f"output (the last spec's). Name it in another spec's inputs, or remove it."
        )
        for node in nodes if node.ref in unused
    ]
    raise_together(problems)
    return _in_order(nodes)


def _nodes(specs: list[Mapping[str, Any]]) -> tuple[list[GraphNode], list[ConfigError]]:
    nodes, problems, seen = [], [], set()
    for index, spec in enumerate(specs):
        where = f"model.layers[{index}]"
        if not isinstance(spec, Mapping):
            problems.append(ConfigError(f"{where}: expected a mapping like {{name: dense, units: 8, id: h}}. Received: {spec!r}."))
            continue
        node_id = spec.get("id")
        if node_id is not None and (not isinstance(node_id, str) or not _ID.match(node_id) or node_id == INPUT):
            problems.append(ConfigError(
                f"{where}.id={node_id!r}: an id is a name like h1 or block_out (letters, digits, _ . -), "
                f"and '{INPUT}' is the model's input."
            ))
        elif node_id is not None and node_id in seen:
            problems.append(ConfigError(f"{where}.id={node_id!r}: another spec has this id already; give each layer its own."))
        seen.add(node_id)
        inputs = spec.get("inputs")
        if isinstance(inputs, str):
            inputs = [inputs]
        if inputs is not None and (not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs)):
            problems.append(ConfigError(f"{where}.inputs={inputs!r}: expected a list of ids, e.g. inputs: [h1, h2]."))
            inputs = None
        previous = INPUT if index == 0 else (specs[index - 1].get("id") if isinstance(specs[index - 1], Mapping) else None) or f"#{index - 1}"
        ref = node_id if isinstance(node_id, str) else f"#{index}"
        layer_spec = {key: value for key, value in spec.items() if key not in GRAPH_KEYS}
        nodes.append(GraphNode(index, ref, node_id, tuple(inputs) if inputs else (previous,), layer_spec))
    return nodes, problems


def _input_problems(node: GraphNode, refs: set[str], merges: set[str]) -> list[ConfigError]:
    problems = []
    for name in node.inputs:
        if name != INPUT and name not in refs:
            known = sorted(ref for ref in refs if not ref.startswith("#"))
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(ConfigError(
                f"{node.where}.inputs: no layer has the id {name!r}. The ids: {', '.join([INPUT, *known])}.{hint}"
            ))
    key = node.spec.get("name")
    if key in merges and len(node.inputs) < 2:
        problems.append(ConfigError(
            f"{node.where}: '{key}' merges several inputs but takes only {node.inputs[0]!r}. "
            f"List the layers it combines: inputs: [a, b]."
        ))
    elif key not in merges and len(node.inputs) > 1:
        problems.append(ConfigError(
            f"{node.where}: layer '{key}' takes one input, but inputs lists {len(node.inputs)}. Combine them "
            f"first with a merge layer ({{name: concatenate, inputs: [{', '.join(node.inputs)}]}}), then take its id."
        ))
    return problems


def _in_order(nodes: list[GraphNode]) -> list[GraphNode]:
    """Depth-first topological order; a cycle is an error naming it."""
    by_ref = {node.ref: node for node in nodes}
    state: dict[str, str] = {}
    order: list[GraphNode] = []

    def visit(node: GraphNode, path: list[str]) -> None:
        state[node.ref] = "open"
        for name in node.inputs:
            if name == INPUT:
                continue
            if state.get(name) == "open":
                cycle = [*path[path.index(name):], node.ref, name]
                raise ConfigError(
                    f"model.layers: these layers take each other's outputs in a cycle: {' -> '.join(_label(by_ref[r]) for r in cycle)}. "
                    f"A graph model's outputs flow one way, from input to output; break the cycle in their inputs."
                )
            if name not in state:
                visit(by_ref[name], [*path, node.ref])
        state[node.ref] = "done"
        order.append(node)

    for node in nodes:
        if node.ref not in state:
            visit(node, [])
    return order


def _label(node: GraphNode) -> str:
    return node.id or f"model.layers[{node.index}]"


def _named(node: GraphNode) -> str:
    return f" (id {node.id})" if node.id else ""
