"""Image datasets: bundled Fashion-MNIST, idx folders, torchvision sets and image folders.

Each loader returns a uint8 array (N, C, H, W); ImageSource keeps it as one tensor on the
training device and batches by random indices, so a step does no DataLoader or PIL work.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.data.classes import FASHION_CLASSES, MAX_CLASSES
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.idx import IdxError, read_idx
from ganstudio.core.data.picture import read_picture
from ganstudio.core.dataset_classes import fashion_unlabelled_reason, flat_folder_reason, loose_files_reason
from ganstudio.core.paths import (
    DEBIAN_FASHION_DIR,
    bundled,
    find_fashion_full,
    find_fashion_labels,
    is_hidden,
    user_data_dir,
)
from ganstudio.core.wording import counted

if TYPE_CHECKING:  # Pillow loads only when a folder of images is read
    import PIL.Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


@dataclass
class LoadedImages:
    images: np.ndarray  # (N, C, H, W) uint8
    description: str
    skipped: int = 0
    labels: np.ndarray | None = None  # (N,) int64 class indices, None when the source has no classes
    class_names: tuple[str, ...] = ()
    unlabelled_reason: str = ""  # why labels is None, in words a refusal can quote


def bundled_fashion_images() -> np.ndarray:
    folder = bundled("fashion-mnist")
    with resources.as_file(folder.joinpath("t10k-images-idx3-ubyte.gz")) as path:
        return read_idx(path)[:, None]


def bundled_fashion_labels() -> np.ndarray:
    folder = bundled("fashion-mnist")
    with resources.as_file(folder.joinpath("t10k-labels-idx1-ubyte.gz")) as path:
        return read_idx(path)


def bundled_fashion() -> LoadedImages:
    images = bundled_fashion_images()
    return LoadedImages(
        images,
        f"Fashion-MNIST, bundled ({len(images):,} images)",
        labels=bundled_fashion_labels().astype(np.int64),
        class_names=FASHION_CLASSES,
    )


def load_idx_folder(path: str | None) -> LoadedImages:
    folder = find_fashion_full(path)
    where = path or str(DEBIAN_FASHION_DIR)
    if folder is None:
        raise DataError(
            f"no Fashion-MNIST training split (train-images-idx3-ubyte[.gz]) in {where}; "
            "install Debian's dataset-fashion-mnist or choose the folder holding the idx files"
        )
    file = sorted(folder.glob("train-images-idx3-ubyte*"))[0]
    label_file = find_fashion_labels(folder)
    try:
        images = read_idx(file)
        labels = read_idx(label_file).astype(np.int64) if label_file else None
    except IdxError as exc:
        raise DataError(str(exc)) from None
    if images.ndim != 3 or not images.size:
        raise DataError(f"{file} holds {images.shape}, expected (N, H, W) images, at least one")
    if labels is not None and (labels.shape != (len(images),) or labels.min() < 0 or labels.max() >= 10):
        raise DataError(f"{label_file} does not hold one class from 0 to 9 per image of {file}")
    return LoadedImages(
        images[:, None],
        f"Fashion-MNIST ({len(images):,} images from {folder})",
        labels=labels,
        class_names=FASHION_CLASSES if labels is not None else (),
        unlabelled_reason=fashion_unlabelled_reason(folder),
    )


CLASSES_NAMED = 12  # a description names this many class folders, with their image counts
DOWNLOAD_TIMEOUT_S = 30.0  # a server silent this long, on a connect or a read, is not coming back
TORCHVISION_SETS = {"mnist": "MNIST", "fashion-mnist-torchvision": "FashionMNIST", "cifar10": "CIFAR10"}


def torchvision_root(path: str | None) -> Path:
    return Path(path).expanduser() if path else user_data_dir() / "datasets"


def _remove_empty_folders(deepest: Path, keep: Path) -> None:
    """The folders a failed download made, from the deepest up to the first that was there before."""
    for folder in (deepest, *deepest.parents):
        if folder == keep or not folder.is_relative_to(keep):
            return
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (a partial download is the user's to see), or gone already


def load_torchvision(name: str, path: str | None, download: bool = True) -> LoadedImages:
    """Loads from disk; downloads only when the files are missing and download is allowed, with a clear
    error offline."""
    from torchvision import datasets

    cls_name = TORCHVISION_SETS[name]
    cls = getattr(datasets, cls_name)
    root = torchvision_root(path)
    try:
        ds = cls(str(root), train=True, download=False)
    except RuntimeError:
        if not download:
            raise DataError(
                f"{cls_name} is not on disk under {root}; nothing is downloaded here: put torchvision's files there"
            ) from None
        where = root / (f"{cls_name}/raw" if cls_name != "CIFAR10" else "cifar-10-batches-py")
        there_before = next(p for p in (where, *where.parents) if p.exists())
        previous_timeout = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # torchvision opens its URLs with none: a silent server hung
        try:
            root.mkdir(parents=True, exist_ok=True)
            ds = cls(str(root), train=True, download=True)
        except Exception as exc:  # noqa: BLE001 - urllib, ssl, socket and checksum errors all mean "not available"
            _remove_empty_folders(where, there_before)
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(":")
            unpacked = "" if cls_name == "CIFAR10" else ", unpacked (no .gz)"
            raise DataError(
                f"{cls_name} is not on disk and could not be downloaded (offline? {reason}). "
                f"Put torchvision's {cls_name} files{unpacked} in {where} (or choose another folder) and try again"
            ) from None
        finally:
            socket.setdefaulttimeout(previous_timeout)
    data = ds.data
    array = data.numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
    array = array[:, None] if array.ndim == 3 else array.transpose(0, 3, 1, 2)
    labels = np.asarray(ds.targets, dtype=np.int64)
    return LoadedImages(
        np.ascontiguousarray(array),
        f"{cls_name} ({len(array):,} images from {root})",
        labels=labels,
        class_names=tuple(str(name) for name in ds.classes),
    )


def is_regular_file(path: Path) -> bool:
    """A plain file (symlinks followed), never a FIFO, socket or device that open() could block on."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def center_square(image: PIL.Image.Image, size: int) -> PIL.Image.Image:
    """The largest centred square, brought to size x size: how every picture becomes a training image."""
    from PIL import Image

    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BICUBIC)


def training_image(path: Path, mode: str, size: int) -> np.ndarray | None:
    """A picture file as a training image: uint8 (C, size, size), C from mode ("L" or "RGB"); None when it
    cannot be read. Classifying a picture reads it so too, or D would see it otherwise than it learnt."""
    picture = read_picture(path, mode, size)
    if picture is None:
        return None
    pixels = np.array(center_square(picture, size), dtype=np.uint8)  # a writable copy, as torch wants
    return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))


def visible_walk(folder: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk without hidden folders and files (.thumbnails, .DS_Store, a sync tool's .trash): they are no
    class of the user's, nor pictures of one."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not is_hidden(d)]
        yield root, dirs, [f for f in files if not is_hidden(f)]


def _check_is_folder(folder: Path) -> None:
    if folder.is_file():
        raise DataError(f"{folder} is a file; choose the folder that holds the images")
    if not folder.is_dir():
        raise DataError(f"image folder not found: {folder}")


def load_image_folder(path: str | None, size: int, channels: int) -> LoadedImages:
    """Any folder of images, flat or with class subfolders; unreadable files are skipped and counted."""
    if not path:
        raise DataError("choose an image folder")
    folder = Path(path).expanduser()
    _check_is_folder(folder)
    mode = "L" if channels == 1 else "RGB"
    images, skipped, loose = [], 0, 0  # loose: image files lying in the folder itself, readable or not
    folders: list[str] = []  # each image's first-level subfolder ("" for one lying in the folder itself)
    for root, _dirs, files in sorted(visible_walk(folder)):
        for name in sorted(files):
            file = Path(root) / name
            if Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            loose += Path(root) == folder
            if not is_regular_file(file):  # a FIFO or device would block open() forever
                skipped += 1
                continue
            image = training_image(file, mode, size)
            if image is None:
                skipped += 1
                continue
            images.append(image)
            relative = file.relative_to(folder).parts
            folders.append(relative[0] if len(relative) > 1 else "")
    if not images:
        extra = f" ({counted(skipped, 'unreadable file')} skipped)" if skipped else ""
        raise DataError(f"no readable image in {folder}{extra}")
    note = f", {skipped:,} unreadable skipped" if skipped else ""
    description = f"image folder {folder} ({counted(len(images), 'image')}{note})"
    if "" in folders:  # a readable image outside the subfolders; said by its files' count, as the form's look says it
        reason = flat_folder_reason(folder) if folders.count("") == len(folders) else loose_files_reason(loose, folder)
        return LoadedImages(np.stack(images), description, skipped, unlabelled_reason=reason)
    names = tuple(sorted(set(folders)))
    if len(names) > MAX_CLASSES:  # fine unconditionally; a conditional run is refused with this reason
        reason = f"{folder} has {len(names):,} class subfolders, over GAN Studio's limit of {MAX_CLASSES:,}"
        return LoadedImages(np.stack(images), description, skipped, unlabelled_reason=reason)
    labels = np.array([names.index(name) for name in folders], dtype=np.int64)
    counts = np.bincount(labels, minlength=len(names))
    shown = ", ".join(f"{name} {count:,}" for name, count in zip(names[:CLASSES_NAMED], counts, strict=False))
    more = f" and {len(names) - CLASSES_NAMED:,} more" if len(names) > CLASSES_NAMED else ""
    description = f"{description[:-1]}; classes: {shown}{more})"  # what `sample --class` takes, said up front
    return LoadedImages(np.stack(images), description, skipped, labels=labels, class_names=names)


COUNT_MAX_FILES = 10_000  # files a count looks at before it says the folder may hold more


@dataclass(frozen=True)
class FolderCount:
    folder: Path
    readable: int  # images that decode, at most the limit asked for
    unreadable: int  # files named like images that do not
    seen: int  # files looked at, images or not
    complete: bool  # False when a bound stopped the count: the folder may hold more

    def problem(self) -> str:
        """Why training on this folder would fail, in load_image_folder's words; "" when it would not."""
        if self.readable:
            return ""
        if not self.complete:
            return f"no image among the first {self.seen:,} files in {self.folder}"
        extra = f" ({counted(self.unreadable, 'unreadable file')} skipped)" if self.unreadable else ""
        return f"no readable image in {self.folder}{extra}"


def count_readable_images(path: str | None, limit: int = 100, max_files: int = COUNT_MAX_FILES) -> FolderCount:
    """Counts what load_image_folder would read, stopping at `limit` readable images or `max_files`
    files, so a form can refuse a folder when it is chosen (not at Start) and a huge folder costs
    a bounded walk. Only regular files are opened: a FIFO named *.png would block forever."""
    if not path:
        raise DataError("choose an image folder")
    folder = Path(path).expanduser()
    _check_is_folder(folder)
    readable = unreadable = seen = 0
    for root, _dirs, files in visible_walk(folder):
        for name in files:
            if readable >= limit or seen >= max_files:
                return FolderCount(folder, readable, unreadable, seen, False)
            seen += 1
            file = Path(root) / name
            if file.suffix.lower() not in IMAGE_SUFFIXES or not is_regular_file(file):
                continue
            if read_picture(file, "RGB", 64) is None:
                unreadable += 1
            else:
                readable += 1
    return FolderCount(folder, readable, unreadable, seen, True)


def fit_images(images: np.ndarray, size: int, channels: int) -> torch.Tensor:
    """Converts channels and resizes once at load time, returning a uint8 tensor."""
    tensor = torch.from_numpy(np.ascontiguousarray(images))
    if tensor.shape[1] != channels:
        if channels == 3:
            tensor = tensor.expand(-1, 3, -1, -1)
        else:
            weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            tensor = (tensor.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    if tensor.shape[-1] != size or tensor.shape[-2] != size:
        resized = F.interpolate(tensor.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        tensor = resized.round().clamp(0, 255).to(torch.uint8)
    return tensor.contiguous()


class ImageSource:
    """An in-memory image dataset on the training device, batched by random indices.

    With labels, images are also drawn for given classes: the indices sorted by class, so a class's
    images are one contiguous slice and a batch of classes is one gather, no per-class loop.
    """

    def __init__(self, loaded: LoadedImages, size: int, channels: int, device: torch.device):
        self.images = fit_images(loaded.images, size, channels).to(device)
        self.device = device
        self.shape = tuple(self.images.shape[1:])
        self.skipped = loaded.skipped
        self._description = loaded.description
        self.class_names: tuple[str, ...] = loaded.class_names if loaded.labels is not None else ()
        self.unlabelled_reason = loaded.unlabelled_reason
        self.labels: torch.Tensor | None = None
        self._shard: torch.Tensor | None = None  # under torchrun: the indices this rank draws from
        if loaded.labels is not None:
            self.labels = torch.from_numpy(np.asarray(loaded.labels, dtype=np.int64)).to(device)
            self._index_classes(torch.arange(len(self.images), device=device))

    def _index_classes(self, pool: torch.Tensor) -> None:
        """The pool's indices grouped by class, so a class-balanced draw stays inside the pool."""
        assert self.labels is not None
        labels = self.labels[pool]
        self._counts = torch.bincount(labels, minlength=len(self.class_names))
        self._by_class = pool[torch.argsort(labels, stable=True)]
        self._starts = torch.cumsum(self._counts, 0) - self._counts

    def shard(self, rank: int, world_size: int) -> None:
        """Draws only from rank's disjoint share of the images (self.images stays whole, for scoring)."""
        from ganstudio.core.distributed import shard_indices

        self._shard = shard_indices(len(self.images), rank, world_size).to(self.device)
        if self.labels is not None:
            self._index_classes(self._shard)

    def _indices(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if self._shard is None:
            return torch.randint(len(self.images), (n,), generator=generator, device=self.device)
        return self._shard[torch.randint(len(self._shard), (n,), generator=generator, device=self.device)]

    @property
    def num_classes(self) -> int:
        """0 for an unlabelled source."""
        return len(self.class_names)

    def empty_classes(self) -> list[str]:
        if self.labels is None:
            return []
        return [name for name, count in zip(self.class_names, self._counts.tolist(), strict=True) if count == 0]

    def sample_labelled(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(images, their class indices) drawn as the data holds them (not class-balanced)."""
        if self.labels is None:
            raise DataError(f"this dataset has no classes: {self.unlabelled_reason}")
        idx = self._indices(n, generator)
        return self.images[idx].float().div_(127.5).sub_(1.0), self.labels[idx]

    def sample_classes(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One random image of each given class: (len(labels), C, H, W) in [-1, 1]."""
        if self.labels is None:
            raise DataError(f"this dataset has no classes: {self.unlabelled_reason}")
        u = torch.rand(labels.shape[0], generator=generator, device=self.device)
        counts = self._counts[labels]
        offset = torch.minimum((u * counts).long(), counts - 1)
        idx = self._by_class[self._starts[labels] + offset]
        return self.images[idx].float().div_(127.5).sub_(1.0)

    def __len__(self) -> int:
        return len(self.images)

    def describe(self) -> str:
        return self._description

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.images[self._indices(n, generator)].float().div_(127.5).sub_(1.0)
