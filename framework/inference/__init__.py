"""Using a trained run: reading the examples it is asked about, its classes, scoring it on data."""

from framework.inference.classes import Classes, class_probabilities, saved_classes
from framework.inference.examples import Examples

__all__ = ["Classes", "Examples", "class_probabilities", "saved_classes"]
