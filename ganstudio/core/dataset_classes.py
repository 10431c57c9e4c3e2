"""Whether a dataset carries classes, said before anything is loaded, so the setup form can grey the
Conditional choice with the reason instead of letting Start fail on it.

The words match the refusals of the data sources (core.data) that a conditional run meets at start.
"""

from __future__ import annotations

import os
from pathlib import Path

from ganstudio.core.config import LABELLED_TOY_DATASETS, TOY_DATASETS
from ganstudio.core.paths import find_fashion_full, find_fashion_labels
from ganstudio.core.wording import counted

MAX_TOP_ENTRIES = 10_000  # entries of a folder's top level looked at; a huge flat folder costs no more


def unlabelled_reason(dataset: str, path: str | None = None) -> str:
    """Why `dataset` has no classes, or "" when it has them (as far as a look at the files tells;
    path: the data.path field). An image folder's classes are its subfolders: see folder_unlabelled_reason."""
    if dataset == "fashion-mnist-full":
        folder = find_fashion_full(path)  # no images at all is refused by the loader, in its own words
        return fashion_unlabelled_reason(folder) if folder is not None and find_fashion_labels(folder) is None else ""
    if dataset == "drawn":
        return "a drawn distribution has no classes"
    if dataset in TOY_DATASETS and dataset not in LABELLED_TOY_DATASETS:
        return f"{dataset} has no classes; the labelled toy sets are {', '.join(LABELLED_TOY_DATASETS)}"
    return ""


def fashion_unlabelled_reason(folder: Path) -> str:
    return f"no train-labels-idx1-ubyte file beside the images in {folder}"


def folder_unlabelled_reason(path: str, max_entries: int = MAX_TOP_ENTRIES) -> str:
    """Why an image folder gives no classes (images lying outside class subfolders, or no subfolder),
    or "" when its images are sorted into subfolders. Only the top level is read: the loader names
    each image's class after its first-level subfolder. Loads torch (the image suffixes live with the
    loader): call it off the GUI thread."""
    from ganstudio.core.data.images import IMAGE_SUFFIXES

    folder = Path(path).expanduser()
    loose = subfolders = 0
    try:
        with os.scandir(folder) as entries:
            for i, entry in enumerate(entries):
                if i >= max_entries:
                    break
                if entry.name.startswith("."):  # hidden: the loader passes them by (visible_walk)
                    continue
                if entry.is_dir():
                    subfolders += 1
                elif Path(entry.name).suffix.lower() in IMAGE_SUFFIXES:
                    loose += 1
    except OSError as exc:
        return f"cannot read {folder}: {exc.strerror or exc}"
    if not subfolders:
        return flat_folder_reason(folder)
    return loose_files_reason(loose, folder) if loose else ""


def flat_folder_reason(folder: Path) -> str:
    return f"{folder} is a flat folder: put each class's images in a subfolder named after it"


def loose_files_reason(loose: int, folder: Path) -> str:
    """Counted by name, readable or not: the setup form's look decodes nothing, and says what a start says."""
    return f"{counted(loose, 'image file')} {'lies' if loose == 1 else 'lie'} directly in {folder}, outside any class subfolder"
