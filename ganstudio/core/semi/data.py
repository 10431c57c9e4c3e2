"""A semi-supervised run's data: a held-out split it never trains on, a few labelled training images, and
every training image again without its label.

The trainer gets a SemiData and nothing else: the labelled subset as one small (images, labels) pair and an
unlabelled ImageSource built with no labels at all, so no label outside the subset can reach a loss.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import torch

from ganstudio.core.config import HELD_OUT_SHARE, DataConfig, RunConfig
from ganstudio.core.data import load_images
from ganstudio.core.data.classes import FASHION_CLASSES
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.idx import IdxError, read_idx
from ganstudio.core.data.images import ImageSource, LoadedImages, fit_images
from ganstudio.core.paths import DEBIAN_FASHION_DIR, find_fashion_full
from ganstudio.core.wording import counted

SPLIT_SEED = 20161  # the held-out split is the same for every run and seed: accuracies compare across runs
SUBSET_SEED_OFFSET = 4409  # keeps the labelled subset's draw apart from other uses of the run's seed


@dataclass(frozen=True)
class SemiData:
    labelled_images: torch.Tensor  # (L, C, H, W) uint8 on the training device: the only labelled images
    labelled_targets: torch.Tensor  # (L,) int64, their classes
    unlabelled: ImageSource  # every training image, built without labels
    held_out_images: torch.Tensor  # (M, C, H, W) uint8: scored, never trained on
    held_out_labels: np.ndarray  # (M,) int64
    class_names: tuple[str, ...]
    split: str  # the held-out images in words, shown beside every accuracy


def held_out_split(loaded: LoadedImages, data: DataConfig) -> tuple[LoadedImages, LoadedImages, str]:
    """(training part, held-out part, the split in words). fashion-mnist-full is scored on its official
    test split; any other labelled set on a fixed, class-balanced fifth of it, the same for every seed."""
    if data.dataset == "fashion-mnist-full":
        test = official_test_split(data.path)
        folder = find_fashion_full(data.path)
        # a folder of the user's may hold any idx files under those names: named, not vouched for
        split = (
            "the official Fashion-MNIST test split" if folder == DEBIAN_FASHION_DIR else f"the t10k-* split in {folder}"
        )
        return loaded, test, f"{split} ({len(test.images):,} images)"
    train_idx, held_idx = _fixed_split(loaded)
    test = _part(loaded, held_idx)
    whole = "the bundled 10,000" if data.dataset == "fashion-mnist" else f"the {len(loaded.images):,} of {data.dataset}"
    split = f"held-out {len(held_idx):,} of {whole} (fixed {len(train_idx):,} / {len(held_idx):,} split)"
    return _part(loaded, train_idx), test, split


def training_part(loaded: LoadedImages, data: DataConfig) -> LoadedImages:
    """The images a semi-supervised run trains on, without reading its held-out files."""
    if data.dataset == "fashion-mnist-full":
        return loaded
    train_idx, _ = _fixed_split(loaded)
    return _part(loaded, train_idx)


def _fixed_split(loaded: LoadedImages) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices): a class-balanced fifth held out, the same for every run and seed."""
    if loaded.labels is None:
        raise DataError(f"a semi-supervised run needs labelled data: {loaded.unlabelled_reason}")
    rng = np.random.default_rng(SPLIT_SEED)
    held = []
    for c, name in enumerate(loaded.class_names):
        members = rng.permutation(np.flatnonzero(loaded.labels == c))
        share = round(len(members) * HELD_OUT_SHARE)
        if not share:  # it would be scored on none of its images, and an accuracy over no class is no number
            raise DataError(
                f"class {name} has {counted(len(members), 'image')}: a semi-supervised run holds out a fifth of "
                "each class to score D on, so each class needs at least 3"
            )
        held.append(members[:share])
    held_idx = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(len(loaded.labels)), held_idx), held_idx


def _part(loaded: LoadedImages, indices: np.ndarray) -> LoadedImages:
    assert loaded.labels is not None
    return replace(loaded, images=loaded.images[indices], labels=loaded.labels[indices])


def official_test_split(path: str | None) -> LoadedImages:
    """The t10k files beside fashion-mnist-full's training split."""
    folder = find_fashion_full(path)
    images = sorted(folder.glob("t10k-images-idx3-ubyte*")) if folder else []
    labels = sorted(folder.glob("t10k-labels-idx1-ubyte*")) if folder else []
    if not images or not labels:
        raise DataError(
            f"no Fashion-MNIST test split (t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte) in {folder or path}: "
            "a semi-supervised run is scored on it"
        )
    try:
        x, y = read_idx(images[0]), read_idx(labels[0]).astype(np.int64)
    except IdxError as exc:
        raise DataError(str(exc)) from None
    if not len(x) or x.ndim != 3 or x.dtype != np.uint8 or y.shape != (len(x),) or y.min() < 0 or y.max() >= 10:
        raise DataError(f"{images[0]} and {labels[0]} are not one class from 0 to 9 per image of 8-bit pixels")
    return LoadedImages(
        x[:, None], f"Fashion-MNIST test split ({len(x):,} images)", labels=y, class_names=FASHION_CLASSES
    )


def labelled_subset(labels: np.ndarray, per_class: int, seed: int, class_names: tuple[str, ...]) -> np.ndarray:
    """Sorted indices of `per_class` training images of each class, the same for the same seed."""
    rng = np.random.default_rng(seed + SUBSET_SEED_OFFSET)
    chosen = []
    for c, name in enumerate(class_names):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise DataError(
                f"class {name} has {len(members):,} training images, fewer than train.labelled_per_class = {per_class:,}"
            )
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def semi_data(
    train: LoadedImages,
    subset: np.ndarray,
    held_out: LoadedImages,
    split: str,
    data: DataConfig,
    device: torch.device,
) -> SemiData:
    """The labels of `subset` are the only ones taken from `train`."""
    assert train.labels is not None and held_out.labels is not None
    size, channels = data.image_size, data.channels
    per_class = len(subset) // max(1, len(train.class_names))
    unlabelled = replace(
        train,
        labels=None,
        class_names=(),
        unlabelled_reason="a semi-supervised run uses its training images without their labels",
        description=f"{train.description}: {len(train.images):,} training images, {len(subset):,} of them "
        f"labelled ({per_class:,} per class); scored on {split}",
    )
    labelled_images, labelled_targets = labelled_part(train, subset, data)
    return SemiData(
        labelled_images=labelled_images.to(device),
        labelled_targets=torch.from_numpy(labelled_targets).to(device),
        unlabelled=ImageSource(unlabelled, size, channels, device),
        held_out_images=fit_images(held_out.images, size, channels),
        held_out_labels=np.asarray(held_out.labels, dtype=np.int64),
        class_names=train.class_names,
        split=split,
    )


def labelled_part(train: LoadedImages, subset: np.ndarray, data: DataConfig) -> tuple[torch.Tensor, np.ndarray]:
    """The labelled images and their labels as the trainer holds them (fitted, int64): what the run trains on and
    what eval's check of its split digests must be the same bytes."""
    assert train.labels is not None
    return fit_images(train.images[subset], data.image_size, data.channels), np.asarray(train.labels[subset], np.int64)


def build_semi_data(config: RunConfig, device: torch.device, download: bool = True) -> SemiData:
    return semi_data(*drawn_split(load_images(config.data, download), config), config.data, device)


def drawn_split(loaded: LoadedImages, config: RunConfig) -> tuple[LoadedImages, np.ndarray, LoadedImages, str]:
    """(training part, the labelled subset's indices in it, held-out part, the split in words), drawn as the run with
    config draws them."""
    if loaded.labels is None:
        raise DataError(f"a semi-supervised run needs labelled data: {loaded.unlabelled_reason}")
    classes = len(np.unique(loaded.labels))
    if classes < 2:
        raise DataError(
            f"a semi-supervised run needs images of at least 2 classes to tell apart; {loaded.description} has {classes}"
        )
    train, held_out, split = held_out_split(loaded, config.data)
    assert train.labels is not None
    subset = labelled_subset(train.labels, config.train.labelled_per_class, config.train.seed, train.class_names)
    return train, subset, held_out, split


def split_digest(*parts: torch.Tensor | np.ndarray) -> str:
    """The labelled images, their labels, the held-out images and theirs (as the trainer holds them: fitted, int64),
    hashed: a folder changed since a run drew them draws both again, and images the run trained on could then be
    scored as held out."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(torch.as_tensor(part).detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


KNOWN_PLACES = ("fashion-mnist", "fashion-mnist-full")  # data at fixed places: a checkpoint names no folder


def seen_in_training(config: RunConfig, images: np.ndarray) -> np.ndarray:
    """Which of images (uint8, N x C x H x W) are, byte for byte, among the run's training images (bool, N): an
    accuracy over the bundled 10,000 counted the 8,000 the run trained on and flattered D, and the official
    test split holds those same 10,000. Only for data at fixed places (a checkpoint from elsewhere never
    chooses a folder to read); none when it is not on this machine."""
    train = _training_images(config, images)
    return _among(images, train.images) if train is not None else np.zeros(len(images), dtype=bool)


def training_note(config: RunConfig, images: np.ndarray) -> str:
    """How many of images are the run's training images, and how many of those carried their labels into D's loss
    (only those can it know by heart; the others it saw as unlabelled real images): a clause for a note, "" when
    none is. A note that D "does better" on all of them read as if every one had been labelled, where most
    were seen without their labels."""
    train = _training_images(config, images)
    if train is None:
        return ""
    seen = int(_among(images, train.images).sum())
    if not seen:
        return ""
    which = "this image is" if len(images) == 1 else f"{seen:,} of these {len(images):,} images are"
    among = f"{which} among the run's training images"  # a copy here without its labels says no more
    if train.labels is None:
        return among
    try:  # the labels on this machine draw the subset again, as the run drew it
        subset = labelled_subset(train.labels, config.train.labelled_per_class, config.train.seed, train.class_names)
    except DataError:
        return among
    labelled = int(_among(images, train.images[subset]).sum())
    if labelled:
        return f"{among}, {labelled:,} of them among the {len(subset):,} whose labels D trained on, which it knows better than new ones"
    return f"{among}, none of them one of the {len(subset):,} whose labels D trained on (it saw them unlabelled)"


def _training_images(config: RunConfig, images: np.ndarray) -> LoadedImages | None:
    """The run's training images when they are on this machine at their fixed place and of the images' size."""
    if config.data.dataset not in KNOWN_PLACES:
        return None
    data = replace(config.data, path=None)
    try:
        train = training_part(load_images(data, download=False), data)
    except DataError:
        return None
    return train if images.shape[1:] == train.images.shape[1:] else None  # resized pictures: none byte for byte


def _among(images: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Which of images are, byte for byte, one of known (bool, N); both hold at least one image."""
    rows = {row.tobytes() for row in np.ascontiguousarray(known).reshape(len(known), -1)}
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    return np.fromiter((row.tobytes() in rows for row in flat), dtype=bool, count=len(flat))
