"""The package's map stays a map: no import circles between modules or between units,
few root modules, short functions, one home per name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "framework"
# Every name a run directory holds; framework/run_directory.py alone spells them.
RUN_DIRECTORY_NAMES = (
    '"tensorboard"', '"checkpoints"', '"model.keras"', '"saved_model"', '"summary.json"', '"model_summary.txt"',
    '"FAILED"', '".hydra"', '"metrics.csv"', '"mlflow_run_id"', '"wandb_run_id"', '"classes.json"', '"model_best.keras"',
    '"features.json"', '"init_from.json"', '"evaluations"',
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every framework module `path` imports, at the top, inside functions or under TYPE_CHECKING."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "framework"}


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {imported for imported in _imports(path) if imported in modules and imported != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for successor in sorted(graph[node]):
            if state.get(successor) == "open":
                return stack[stack.index(successor):] + [successor]
            if successor not in state and (found := visit(successor)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_through_others():
    graph = import_graph()
    # A package's __init__ re-exports its modules; importing one of them runs
    # the __init__, so an edge module -> its own package is not a circle.
    for name in graph:
        graph[name] = {imported for imported in graph[name] if not name.startswith(imported + ".")}
    cycle = _cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def _unit(module: str) -> str:
    """A module's unit: its subpackage (framework.config), or itself at the package root."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else module


def test_no_unit_imports_itself_through_others():
    """Units (each subpackage, each root module) form layers: a door such as the registry
    or the run directory depends on no stage that uses it."""
    units: dict[str, set[str]] = {}
    for name, imported in import_graph().items():
        edges = units.setdefault(_unit(name), set())
        edges.update(_unit(other) for other in imported if _unit(other) != _unit(name) and not name.startswith(other + "."))
    cycle = _cycle({unit: {other for other in edges if other in units} for unit, edges in units.items()})
    assert cycle is None, "circle between units: " + " -> ".join(cycle)


def test_no_function_is_longer_than_60_lines():
    long = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 60
    ]
    assert not long, long


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_at_most_fifteen_modules_at_the_package_root():
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(root) <= 15, root


def test_callbacks_holds_only_keras_callbacks():
    import importlib
    import inspect

    import keras

    for path in sorted((PACKAGE / "callbacks").glob("*.py")):
        module = importlib.import_module(_module_name(path))
        classes = [value for _, value in inspect.getmembers(module, inspect.isclass) if value.__module__ == module.__name__]
        for cls in classes:
            assert issubclass(cls, keras.callbacks.Callback), f"{module.__name__}.{cls.__name__} is not a Keras callback"


@pytest.mark.parametrize("name", RUN_DIRECTORY_NAMES)
def test_every_run_directory_name_is_spelled_in_one_module(name):
    # A registry key may read the same (the `tensorboard` logger): only other uses count.
    spelled_in = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if name in path.read_text().replace(f".register({name}", "")
    ]
    assert spelled_in == ["run_directory.py"], spelled_in
