"""The data section: which dataset, where it lies, the image size and how much of it is used."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import AUGMENTATION, setting
from ganstudio.core.sections import MAX_STEPS

TOY_DATASETS = ("gaussian-1d", "ring-8", "grid-25", "spiral", "two-moons", "drawn")
# fashion-mnist is the bundled 10,000-image split, fashion-mnist-full idx files on disk (Debian's
# dataset-fashion-mnist or a chosen folder), mnist and fashion-mnist-torchvision come through torchvision
IMAGE_DATASETS = (
    "fashion-mnist",
    "fashion-mnist-full",
    "mnist",
    "fashion-mnist-torchvision",
    "cifar10",
    "image-folder",
)
# the datasets data.path is read for; any other ignores it
PATH_DATASETS = ("fashion-mnist-full", "mnist", "fashion-mnist-torchvision", "cifar10", "image-folder", "drawn")
DCGAN_IMAGE_SIZES = (28, 32, 64)
# Toy sets whose samples carry a class: the mode index (ring-8, grid-25) or the moon (two-moons).
# spiral, gaussian-1d and drawn points have no natural classes and are refused by name.
LABELLED_TOY_DATASETS = ("ring-8", "grid-25", "two-moons")

DATASET_LABELS = {
    "fashion-mnist": "Fashion-MNIST (bundled, 10,000 images)",
    "fashion-mnist-full": "Fashion-MNIST full (idx files)",
    "mnist": "MNIST (torchvision)",
    "fashion-mnist-torchvision": "Fashion-MNIST (torchvision)",
    "cifar10": "CIFAR-10 (torchvision)",
    "image-folder": "Image folder...",
    "gaussian-1d": "Toy: 1D Gaussian (2014 paper)",
    "ring-8": "Toy: ring of 8 Gaussians",
    "grid-25": "Toy: grid of 25 Gaussians",
    "spiral": "Toy: spiral",
    "two-moons": "Toy: two moons",
    "drawn": "Toy: drawn in the Distribution tab",
}


@dataclass
class DataConfig:
    dataset: str = setting(
        "fashion-mnist",
        "Dataset",
        "What the generator learns to imitate. Toy distributions "
        "train in seconds; you can also drop an image folder onto the window",
        choices=DATASET_LABELS,
    )
    path: str | None = setting(
        None,
        "Folder",
        "Folder holding the dataset's files (image folder, idx files or "
        "torchvision data), or the .npy file of a drawn distribution",
    )
    image_size: int = setting(
        28,
        "Images",
        "Images are resized to this side; DCGAN supports 28, 32 and 64 px, the MLP 8 to 64",
        at_least=8,
        at_most=64,
        choices={s: f"{s} px" for s in DCGAN_IMAGE_SIZES},
        choices_checked=False,
    )
    channels: int = setting(
        1, "Channels", "Colour channels the generator produces", choices={1: "Grayscale", 3: "RGB"}, beside=True
    )
    limit: int = setting(
        0,
        "Image limit",
        "Train on a fixed, class-balanced subset of this many images, chosen by "
        "the seed (the same subset for a seed), to see how a method copes with little data; "
        "0 = all",
        at_least=0,
        at_most=MAX_STEPS,
        zero="all",
        fold=AUGMENTATION,
        step=1000,
    )

    @property
    def is_toy(self) -> bool:
        return self.dataset in TOY_DATASETS

    @property
    def toy_dim(self) -> int:
        return 1 if self.dataset == "gaussian-1d" else 2
