"""A Keras 3 training framework driven by Hydra.

Importing the package imports neither TensorFlow nor Keras; `framework.run`
and the component packages do.
"""

import importlib.metadata

try:
    __version__ = importlib.metadata.version("keras-hydra-framework")
except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
