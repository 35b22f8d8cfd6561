"""Kept for scripts written against earlier versions: use framework.config.compose."""

from framework.config.sources import register_configs  # noqa: F401
