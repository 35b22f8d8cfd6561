"""Fourier-features plugin: importing it registers the `fourier_features` layer."""

from fourier_features.layer import FourierFeatures

__all__ = ["FourierFeatures"]
