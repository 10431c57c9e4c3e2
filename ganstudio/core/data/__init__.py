"""Datasets: every source exposes sample(n, generator) -> tensor on the training device."""

from __future__ import annotations

import torch

from ganstudio.core.config import DataConfig
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.images import (
    TORCHVISION_SETS,
    ImageSource,
    LoadedImages,
    bundled_fashion_images,
    load_idx_folder,
    load_image_folder,
    load_torchvision,
)
from ganstudio.core.data.toy import ToyDistribution

DataSource = ToyDistribution | ImageSource


def load_images(config: DataConfig, download: bool = True) -> LoadedImages:
    """download=False for data that a file from elsewhere named: read what is on disk, fetch nothing."""
    name = config.dataset
    if name == "fashion-mnist":
        images = bundled_fashion_images()
        return LoadedImages(images, f"Fashion-MNIST, bundled ({len(images):,} images)")
    if name == "fashion-mnist-full":
        return load_idx_folder(config.path)
    if name in TORCHVISION_SETS:
        return load_torchvision(name, config.path, download)
    if name == "image-folder":
        return load_image_folder(config.path, config.image_size, config.channels)
    raise DataError(f"unknown image dataset {name!r}")


def build_data_source(config: DataConfig, device: torch.device) -> DataSource:
    if config.is_toy:
        return ToyDistribution(config.dataset, device, path=config.path)
    return ImageSource(load_images(config), config.image_size, config.channels, device)


__all__ = ["DataError", "DataSource", "ImageSource", "ToyDistribution", "build_data_source", "load_images"]
