"""A Keras 3 training framework driven by Hydra.

The public surface, one door per use (everything else is internal and may change):

- Commands: `python -m framework.train` (train, sweep, resume), `framework.predict`,
  `framework.evaluate`, `framework.list`, `framework.launch` (local workers).
- From Python: `framework.config.compose(overrides)` -> a config, `framework.run.run(cfg,
  run_dir)` -> a RunResult (framework.result), `framework.saving.load_model(path)`.
- For plugins: the registries in `framework.registry` (LAYERS, MODELS, DATA, LOSSES,
  METRICS, OPTIMIZERS, CALLBACKS, LOGGERS, ...), the `framework.plugins` entry-point
  group, and the conformance kit `framework.testing`.
- Errors: `framework.errors` (every error a user can cause is a FrameworkError).

Importing the package imports neither a Keras backend nor Keras; `framework.run`
and the component packages do, with the backend the run's `backend` names.
"""

import importlib.metadata

try:
    __version__ = importlib.metadata.version("keras-hydra-framework")
except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
