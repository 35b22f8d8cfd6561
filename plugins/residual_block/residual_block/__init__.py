"""Residual-block plugin: importing it registers the `residual_dense` layer."""

from residual_block.layer import ResidualDense

__all__ = ["ResidualDense"]
