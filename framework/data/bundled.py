"""Small real data sets that ship with scikit-learn, so they work offline."""

from __future__ import annotations

import numpy as np

from framework.data.arrays import ArrayData, ArrayDataConfig
from framework.data.extras import import_for
from framework.registry import DATA


class BundledDataConfig(ArrayDataConfig):
    """A bundled data set is configured by the common data settings alone."""


@DATA.register("digits", config=BundledDataConfig)
class DigitsData(ArrayData):
    """scikit-learn's handwritten digits: 1,797 float32 images [N, 8, 8, 1] with
    values 0..16, so a Conv2D takes them directly; int32 class ids [N] 0..9,
    `class_names` "0".."9"."""

    def __init__(self, **common):
        digits = import_for("sklearn.datasets", "digits").load_digits()
        images = digits.images[..., np.newaxis]  # one grey channel
        super().__init__(images, digits.target, class_names=tuple(str(d) for d in digits.target_names), **common)


@DATA.register("iris", config=BundledDataConfig)
class IrisData(ArrayData):
    """Fisher's iris flowers: 150 examples of 4 float32 measurements (cm) [N, 4];
    int32 class ids [N] for setosa, versicolor, virginica (`class_names`)."""

    def __init__(self, **common):
        iris = import_for("sklearn.datasets", "iris").load_iris()
        super().__init__(iris.data, iris.target, class_names=tuple(str(name) for name in iris.target_names), **common)
