"""Hydra finds sweepers only in the `hydra_plugins` namespace package; the framework's lives here
and keeps its logic in framework.sweeps."""
