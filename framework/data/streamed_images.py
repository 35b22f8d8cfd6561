"""An image folder streamed: data=images data.stream=true decodes images as training needs them.

The folder is listed once (paths and class ids only), the files are put in
one seeded order, so that a block mixes the classes, and cut into blocks of
BLOCK_IMAGES files. A block's images are decoded (as the in-memory source
decodes them) when a batch needs them, so memory holds a few blocks whatever
the number of images; the split, the epoch order and resume follow the
streamed tables' rules (framework.data.streamed). The data=images key is
registered here, for both ways of reading a folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from framework.data.files import describe_path, resolve_path
from framework.data.image_folder import ImageFolderConfig, ImageFolderData, class_folders, images_in, read_image_files
from framework.data.random_numbers import permutation
from framework.data.shards import Block
from framework.data.streamed import StreamedExamples
from framework.data.streamed_source import StreamedDataSource
from framework.errors import ConfigError
from framework.registry import DATA

BLOCK_IMAGES = 256  # images per block: a 64x64 RGB block is 12 MiB decoded


class ImageFileBlocks:
    """Image files and their class ids in blocks of BLOCK_IMAGES, read as (paths, class ids)."""

    def __init__(self, files: list[Path], labels: np.ndarray):
        self.files, self.labels = files, labels
        self.blocks = [Block(0, min(BLOCK_IMAGES, len(files) - start)) for start in range(0, len(files), BLOCK_IMAGES)]

    def read(self, index: int, columns: list[str], types: dict | None = None) -> tuple[list[Path], np.ndarray]:
        """Block `index`'s files and class ids (an image has no columns: `columns` and `types` are unused)."""
        rows = slice(index * BLOCK_IMAGES, index * BLOCK_IMAGES + self.blocks[index].num_rows)
        return self.files[rows], self.labels[rows]


class StreamedImageFolderData(StreamedDataSource):
    """Float32 images [N, height, width, channels] in [0, 255] and int32 class ids [N], as
    ImageFolderData reads them, decoded a block of files at a time."""

    def __init__(self, path: str, image_size: tuple[int, int], color_mode: str, num_examples: int | None, batch_size: int,
                 val_fraction: float, test_fraction: float, shuffle: bool, seed: int, normalize: bool):
        if num_examples is not None:
            raise ConfigError(f"data.num_examples={num_examples} takes a random subset of images held in memory; "
                              f"with data.stream=true set it to null (every image), or point data.path at a smaller folder.")
        folder = resolve_path(path)
        where = describe_path(folder, path)
        self.class_names = class_folders(folder, where)
        files = [(file, label) for label, name in enumerate(self.class_names) for file in images_in(folder / name)]
        mixed = permutation(len(files), (seed, -1))  # blocks of files sorted by class would hold one class each
        blocks = ImageFileBlocks([files[i][0] for i in mixed], np.asarray([files[i][1] for i in mixed], np.int32))

        def decode(block):
            paths, labels = block
            return read_image_files(paths, image_size, color_mode, "data.path", in_folder=where), labels

        storage = StreamedExamples(blocks, [], {}, decode, val_fraction, test_fraction, batch_size, seed)
        if storage.num_train < 1:
            raise ConfigError(f"data: val_fraction={val_fraction} and test_fraction={test_fraction} leave no training images "
                              f"out of {len(files)}; lower them or add images.")
        super().__init__(storage, shuffle=shuffle, seed=seed, normalize=normalize)


@DATA.register("images", config=ImageFolderConfig)
def images(*, stream: bool, **arguments):
    """data=images: every image held in memory (ImageFolderData), or decoded a block at a time with data.stream=true."""
    if stream:
        return StreamedImageFolderData(**arguments)
    return ImageFolderData(**arguments)
