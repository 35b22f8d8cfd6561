"""Built-in data sources; importing this package registers them in DATA."""

from framework.data.linear import LinearRegressionData
from framework.data.sine import SineData
from framework.data.source import DataSource, DataSourceConfig
from framework.data.synthetic import SyntheticData, SyntheticDataConfig

__all__ = [
    "DataSource",
    "DataSourceConfig",
    "LinearRegressionData",
    "SineData",
    "SyntheticData",
    "SyntheticDataConfig",
]
