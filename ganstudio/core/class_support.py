"""Whether a dataset carries classes, told without loading it (or torch): the setup form greys its
Conditional choice with this reason before the engine is imported."""

from __future__ import annotations

import os
from pathlib import Path

from ganstudio.core.config import LABELLED_TOY_DATASETS, DataConfig


def why_no_classes(data: DataConfig) -> str:
    """Why a conditional model cannot train on this data, in one line; "" when it can (as far as a
    cheap look tells: an image folder's top level only, so the setup form can grey the choice
    without reading a single image). Training itself checks fully."""
    if data.is_toy:
        return "" if data.dataset in LABELLED_TOY_DATASETS else f"{data.dataset} has no classes"
    if data.dataset == "fashion-mnist-full":
        from ganstudio.core.paths import find_fashion_full

        folder = find_fashion_full(data.path)
        if folder is not None and not any(folder.glob("train-labels-idx1-ubyte*")):
            return f"no train-labels-idx1-ubyte file beside the images in {folder}"
        return ""
    if data.dataset == "image-folder" and data.path:
        return _folder_without_classes(Path(data.path).expanduser())
    return ""


def _folder_without_classes(folder: Path) -> str:
    # torch comes with this import: paid only once an image folder is chosen
    from ganstudio.core.data.images import IMAGE_SUFFIXES

    try:
        entries = list(os.scandir(folder))
    except OSError:
        return ""  # a missing folder is refused by the path check with its own words
    if any(e.is_file() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES for e in entries):
        return f"{folder} has images outside class subfolders (a flat folder has no classes)"
    if not any(e.is_dir() and not e.name.startswith(".") for e in entries):
        return f"{folder} has no class subfolders"
    return ""
