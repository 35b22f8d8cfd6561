"""Images from a folder with one subfolder per class, the layout
keras.utils.image_dataset_from_directory reads:

    path/cat/1.png, path/cat/2.jpg, path/dog/1.png, ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pydantic
import tensorflow as tf

from framework.data.arrays import ArrayData, ArrayDataConfig
from framework.data.files import Given, describe_path, resolve_path
from framework.errors import InputError
from framework.registry import DATA

# The formats image_dataset_from_directory decodes.
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


class ImageFolderConfig(ArrayDataConfig):
    """Attributes:
    path: The folder holding one subfolder of images per class; a relative
        path is relative to the directory you launched from.
    image_size: [height, width] every image is resized to.
    color_mode: grayscale (1 channel), rgb (3) or rgba (4).
    """

    path: Given
    image_size: tuple[Annotated[int, pydantic.Field(ge=1)], Annotated[int, pydantic.Field(ge=1)]]
    color_mode: Literal["grayscale", "rgb", "rgba"]


@DATA.register("images", config=ImageFolderConfig)
class ImageFolderData(ArrayData):
    """Float32 images [N, height, width, channels] with pixel values in [0, 255]
    (as Keras reads them; data.normalize=true rescales inside the model), and
    int32 class ids [N]; `class_names` are the subfolder names, sorted."""

    def __init__(self, path: str, image_size: tuple[int, int], color_mode: str, **common):
        import keras

        folder = resolve_path(path)
        where = describe_path(folder, path)
        class_names = _class_folders(folder, where)
        images = keras.utils.image_dataset_from_directory(
            folder, labels="inferred", label_mode="int", class_names=list(class_names), color_mode=color_mode,
            batch_size=None, image_size=tuple(image_size), shuffle=False, verbose=False,
        )
        x, y = [], []
        try:
            for image, label in images.as_numpy_iterator():
                x.append(image)
                y.append(label)
        except tf.errors.InvalidArgumentError:
            # Elements come in file order, so the one that failed is the next file.
            raise InputError(
                f"data.path: {images.file_paths[len(x)]} in {where} cannot be decoded as an image; "
                f"expected {', '.join(IMAGE_SUFFIXES)} files. Remove or replace it."
            ) from None
        super().__init__(np.stack(x), np.asarray(y), class_names=class_names, **common)


def _class_folders(folder, where: str) -> tuple[str, ...]:
    if not folder.is_dir():
        raise InputError(f"data.path: no folder at {where}. Expected a folder with one subfolder of images per class.")
    classes = sorted(entry.name for entry in folder.iterdir() if entry.is_dir())
    if not classes:
        raise InputError(
            f"data.path: {where} has no subfolders; expected one subfolder of images per class "
            f"(e.g. {folder / 'cat'}, {folder / 'dog'})."
        )
    for name in classes:
        if not any(file.suffix.lower() in IMAGE_SUFFIXES for file in (folder / name).iterdir()):
            raise InputError(
                f"data.path: the class folder {folder / name} in {where} holds no images "
                f"({', '.join(IMAGE_SUFFIXES)}); add images or remove the folder."
            )
    return tuple(classes)


def read_image_files(paths: list[Path], image_size: tuple[int, int], color_mode: str, where: str) -> np.ndarray:
    """Image files decoded and resized as keras.utils.image_dataset_from_directory does for the
    images source (decode_image to the color mode's channels, bilinear resize, no cropping):
    float32 [N, height, width, channels] in [0, 255]. framework.predict reads images with it."""
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]
    images = []
    for path in paths:
        try:
            image = tf.image.decode_image(tf.io.read_file(str(path)), channels=channels, expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
            raise InputError(f"{where}: {path} cannot be decoded as an image; expected {', '.join(IMAGE_SUFFIXES)} files.") from None
        images.append(tf.image.resize(image, image_size, method="bilinear").numpy())
    return np.stack(images).astype(np.float32)
