"""From the command line to a validated plan, without importing TensorFlow.

`compose(overrides)` is the one way to compose a run's config outside the CLI:
tests, benchmarks, plugins' tests and users' scripts call it.
"""

from framework.config.compose import compose

__all__ = ["compose"]
