"""`python -m framework.list [kind]`: every registered component, its origin and its fields.

    python -m framework.list              # every kind
    python -m framework.list layer        # layers only
    python -m framework.list layer --plugin my_project.layers   # with local code
"""

from __future__ import annotations

import argparse
import os
import textwrap

from framework.config.catalog import REQUIRED, Component, describe
from framework.registry import ALL_REGISTRIES
from framework.start_up import loading_tensorflow


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m framework.list", description=__doc__.splitlines()[0])
    parser.add_argument("kind", nargs="?", choices=list(ALL_REGISTRIES), help="list only this kind")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="also import MODULE, as plugins=[MODULE] does for a run")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from framework.config.user_errors import report_user_errors
    from framework.plugins import load_plugins

    with loading_tensorflow():  # the built-in components are Keras's
        import keras  # noqa: F401
    with report_user_errors():
        load_plugins(arguments.plugin)
    kinds = [arguments.kind] if arguments.kind else list(ALL_REGISTRIES)
    print("\n\n".join(_format(kind, describe(kind, ALL_REGISTRIES[kind])) for kind in kinds))
    failed = ALL_REGISTRIES[kinds[0]].failed_plugins
    if failed:
        print("\nInstalled plugins that failed to load:")
        print("\n".join(f"  {name}: {cause}" for name, cause in failed.items()))


def _format(kind: str, components: list[Component]) -> str:
    width = max((len(c.key) for c in components), default=0) + 2
    lines = [f"{kind} ({len(components)})"]
    for component in components:
        lines.append(f"  {component.key.ljust(width)}{component.origin}")
        fields = ", ".join(
            f"{name} (required)" if value is REQUIRED else f"{name}={value!r}" for name, value in component.fields.items()
        ) or "(no arguments)"
        lines += textwrap.wrap(fields, width=100, initial_indent=" " * 6, subsequent_indent=" " * 6)
        if component.defaults_from:
            lines.append(f"      defaults from {component.defaults_from}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
