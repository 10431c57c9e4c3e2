"""Class labels shared by every labelled data source: names, and the class-balanced draw.

A conditional run draws its labels class-balanced and uses the same labels for the real and the
generated half of D's batch, so D cannot tell real from fake by how often a class appears.
"""

from __future__ import annotations

import torch

MAX_CLASSES = 1_000  # a conditional model's embedding tables grow with the class count: more is a memory bomb
MAX_CLASS_NAME = 200  # characters; a class name labels a row of samples, not a paragraph
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def balanced_labels(n: int, num_classes: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """(n,) int64 labels in which every class appears floor(n / C) or ceil(n / C) times; a random offset
    decides which classes get the extra ones, so no class is favoured over many batches."""
    offset = torch.randint(num_classes, (1,), generator=generator, device=device)
    return (torch.arange(n, device=device) + offset) % num_classes


def class_index(name_or_index: str, class_names: tuple[str, ...]) -> int:
    """A class given by its name (case-insensitive) or its index, as the CLI and manifests name them."""
    text = name_or_index.strip()
    lowered = [name.lower() for name in class_names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    if text.isdecimal() and len(text) <= len(str(len(class_names))) and int(text) < len(class_names):
        return int(text)
    shown = ", ".join(class_names[:12]) + (", ..." if len(class_names) > 12 else "")
    raise ValueError(f"unknown class {text!r}: give a name ({shown}) or an index from 0 to {len(class_names) - 1}")


def class_names_problem(names: object) -> str:
    """Why `names` cannot be a model's class names, or "" when they can: checked before any model is built,
    since each class adds rows to G's and D's embedding tables."""
    if not isinstance(names, list | tuple):
        return "its class names are not a list"
    if len(names) > MAX_CLASSES:
        return f"it lists {len(names):,} classes, over GAN Studio's limit of {MAX_CLASSES:,}"
    if not all(isinstance(n, str) and 0 < len(n) <= MAX_CLASS_NAME and "\0" not in n for n in names):
        return f"its class names must be non-empty strings of at most {MAX_CLASS_NAME} characters"
    return ""
