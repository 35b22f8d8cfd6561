"""A minimal plugin: importing it registers the `template_dense` layer."""

from plugin_template.layer import TemplateDense

__all__ = ["TemplateDense"]
