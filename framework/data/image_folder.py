"""Images from a folder with one subfolder per class, the layout
keras.utils.image_dataset_from_directory reads:

    path/cat/1.png, path/cat/2.jpg, path/dog/1.png, ...

Read as that function reads them (files in sorted order per class, decoded to
the color mode's channels, bilinear resize, no cropping), with Keras's own
backend-neutral image utilities, so no backend needs TensorFlow to read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pydantic

from framework.data.arrays import ArrayData, ArrayDataConfig
from framework.data.files import Given, describe_path, resolve_path
from framework.errors import InputError

# The formats image_dataset_from_directory decodes.
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


class ImageFolderConfig(ArrayDataConfig):
    """Attributes:
    path: The folder holding one subfolder of images per class; a relative
        path is relative to the directory you launched from.
    image_size: [height, width] every image is resized to.
    color_mode: grayscale (1 channel), rgb (3) or rgba (4).
    stream: Decodes the images a block at a time as training needs them (memory
        does not grow with the number of images) instead of holding them all.
    """

    path: Given
    image_size: tuple[Annotated[int, pydantic.Field(ge=1)], Annotated[int, pydantic.Field(ge=1)]]
    color_mode: Literal["grayscale", "rgb", "rgba"]
    stream: bool


class ImageFolderData(ArrayData):
    """Float32 images [N, height, width, channels] with pixel values in [0, 255]
    (as Keras reads them; data.normalize=true rescales inside the model), and
    int32 class ids [N]; `class_names` are the subfolder names, sorted."""

    def __init__(self, path: str, image_size: tuple[int, int], color_mode: str, **common):
        folder = resolve_path(path)
        where = describe_path(folder, path)
        class_names = class_folders(folder, where)
        files = [(file, label) for label, name in enumerate(class_names) for file in images_in(folder / name)]
        x = read_image_files([file for file, _ in files], image_size, color_mode, "data.path", in_folder=where)
        super().__init__(x, np.asarray([label for _, label in files], np.int32), class_names=class_names, **common)


def images_in(folder: Path) -> list[Path]:
    return sorted(file for file in folder.rglob("*") if file.suffix.lower() in IMAGE_SUFFIXES and file.is_file())


def class_folders(folder, where: str) -> tuple[str, ...]:
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


def read_image_files(
    paths: list[Path], image_size: tuple[int, int], color_mode: str, where: str, in_folder: str | None = None
) -> np.ndarray:
    """Image files decoded and resized as keras.utils.image_dataset_from_directory does for the
    images source (decode_image to the color mode's channels, bilinear resize, no cropping):
    float32 [N, height, width, channels] in [0, 255]. framework.predict reads images with it."""
    import keras
    from PIL import Image, UnidentifiedImageError

    mode = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode]
    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert(mode), np.float32)
        except (UnidentifiedImageError, OSError, ValueError):
            raise InputError(
                f"{where}: {path}{f' in {in_folder}' if in_folder else ''} cannot be decoded as an image; expected {', '.join(IMAGE_SUFFIXES)} files. "
                f"Remove or replace it."
            ) from None
        pixels = pixels.reshape(*pixels.shape[:2], -1)  # grayscale: one channel axis
        resized = keras.ops.image.resize(pixels, tuple(image_size), interpolation="bilinear", antialias=False)
        images.append(keras.ops.convert_to_numpy(resized))
    return np.stack(images).astype(np.float32)
