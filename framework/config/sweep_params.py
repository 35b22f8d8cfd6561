"""Search-space overrides for the Optuna sweeper, as users write them.

`'hydra.sweeper.params.optimizer.learning_rate=tag(log, interval(0.0001, 0.1))'`
sets one entry of the sweeper's search space (`sweep=optuna`). Hydra cannot
take it as written: the value is a sweep expression on a `hydra.` key ("Sweeping
over Hydra's configuration is not supported"), and the entry's name holds dots,
which an override reads as nesting. The Optuna sweeper reads a search space
from two places, its `params` and the command line's sweep overrides, the
latter winning; so the argument is passed on as the equivalent command-line
override, `optimizer.learning_rate=tag(log, interval(0.0001, 0.1))`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SEARCH_SPACE_OVERRIDE = re.compile(r"^hydra\.sweeper\.params\.(?P<entry>[^=]+=.+)$", re.DOTALL)


def search_space_as_overrides(arguments: Sequence[str]) -> list[str]:
    """`arguments`, each `hydra.sweeper.params.<key>=<expression>` as `<key>=<expression>`."""
    return [_as_override(argument) for argument in arguments]


def _as_override(argument: str) -> str:
    match = _SEARCH_SPACE_OVERRIDE.match(argument)
    return match["entry"] if match else argument
