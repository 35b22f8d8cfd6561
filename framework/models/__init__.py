"""Built-in models; importing this package registers them in MODELS."""

from framework.models.application import build_application_model
from framework.models.graph import build_graph_model
from framework.models.linear import LinearModel
from framework.models.my_dense import build_my_dense_model
from framework.models.sequential import build_sequential_model

__all__ = ["LinearModel", "build_application_model", "build_graph_model", "build_my_dense_model", "build_sequential_model"]
