"""Datasets: every source exposes sample(n, generator) -> tensor on the training device."""

from __future__ import annotations

import torch

from ganstudio.core.config import DataConfig
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.images import (
    TORCHVISION_SETS,
    ImageSource,
    LoadedImages,
    bundled_fashion,
    load_idx_folder,
    load_image_folder,
    load_torchvision,
)
from ganstudio.core.data.subset import limit_images
from ganstudio.core.data.toy import ToyDistribution

DataSource = ToyDistribution | ImageSource


def load_images(config: DataConfig, download: bool = True) -> LoadedImages:
    """download=False for data that a file from elsewhere named: read what is on disk, fetch nothing."""
    name = config.dataset
    if name == "fashion-mnist":
        return bundled_fashion()
    if name == "fashion-mnist-full":
        return load_idx_folder(config.path)
    if name in TORCHVISION_SETS:
        return load_torchvision(name, config.path, download)
    if name == "image-folder":
        return load_image_folder(config.path, config.image_size, config.channels)
    raise DataError(f"unknown image dataset {name!r}")


def build_data_source(
    config: DataConfig, device: torch.device, labelled: bool = False, seed: int = 0, download: bool = True
) -> DataSource:
    """labelled=True (a conditional run) refuses a source without classes, saying why it has none;
    seed picks data.limit's subset; download as load_images's."""
    if config.is_toy:
        toy = ToyDistribution(config.dataset, device, path=config.path)
        if labelled and not toy.num_classes:
            raise DataError(f"{config.dataset} has no classes; a conditional model needs labelled data")
        return toy
    source = ImageSource(
        limit_images(load_images(config, download), config.limit, seed), config.image_size, config.channels, device
    )
    if labelled and not source.num_classes:
        raise DataError(f"a conditional model needs labelled data: {source.unlabelled_reason}")
    empty = source.empty_classes() if labelled else []
    if empty:
        raise DataError(f"a conditional model needs images of every class; none of {', '.join(empty[:5])}")
    return source


def scoring_set(
    source: ImageSource, config: DataConfig, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The real images quality scores compare G with, and their labels: the whole set even when
    training sees a data.limit subset, so runs on subsets of different sizes are scored against the
    same reference (and a G that copies its few training images does not score as if it had learnt the data)."""
    if not config.limit:
        return source.images, source.labels
    whole = ImageSource(load_images(config), config.image_size, config.channels, device)
    return whole.images, whole.labels


__all__ = [
    "DataError",
    "DataSource",
    "ImageSource",
    "ToyDistribution",
    "build_data_source",
    "load_images",
    "scoring_set",
]
