"""Built-in data sources; importing this package registers them in DATA."""

from framework.data.arrays import ArrayData, ArrayDataConfig
from framework.data.bundled import DigitsData, IrisData
from framework.data.csv_file import CsvData
from framework.data.image_folder import ImageFolderData
from framework.data.linear import LinearRegressionData
from framework.data.numpy_file import NumpyData
from framework.data.sine import SineData
from framework.data.source import DataSource, DataSourceConfig
from framework.data.spirals import SpiralsData
from framework.data.streamed_images import StreamedImageFolderData
from framework.data.synthetic import SyntheticData, SyntheticDataConfig
from framework.data.tables import StreamedTableData

__all__ = [
    "ArrayData",
    "ArrayDataConfig",
    "CsvData",
    "DataSource",
    "DataSourceConfig",
    "DigitsData",
    "ImageFolderData",
    "IrisData",
    "LinearRegressionData",
    "NumpyData",
    "SineData",
    "SpiralsData",
    "StreamedImageFolderData",
    "StreamedTableData",
    "SyntheticData",
    "SyntheticDataConfig",
]
