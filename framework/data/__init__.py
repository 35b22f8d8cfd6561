"""Built-in synthetic data sources; importing this package registers them in DATA."""

from framework.data.linear import LinearRegressionData
from framework.data.sine import SineData
from framework.data.synthetic import SyntheticData, SyntheticDataConfig

__all__ = ["LinearRegressionData", "SineData", "SyntheticData", "SyntheticDataConfig"]
