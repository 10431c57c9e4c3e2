"""Each image's class probabilities as a CSV: the one file `ganstudio classify --out` and the window's
Save predictions both write, so a table made in one reads like the other's."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganstudio.core.atomic import overwritten_input, write_named_text


def write_predictions(
    path: str | Path, names: Sequence[str], class_names: Sequence[str], probabilities: np.ndarray
) -> Path:
    """One row per image: its name, the class D gives it, then one probability per class (class order)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["name", "predicted", *class_names])
    for name, row in zip(names, probabilities, strict=True):
        writer.writerow([name, class_names[int(np.argmax(row))], *(f"{p:.6f}" for p in row)])
    return write_named_text(path, text.getvalue())


def overwritten_by_predictions(
    out: str | Path, images: str | Path, checkpoint: str | Path, labels: str | Path | None = None
) -> Path | None:
    """The input that writing the predictions to out would destroy (the checkpoint, the images, the labels,
    or one of a classified folder's images), or None: `classify latest.pt pics --out latest.pt` turned the
    run's checkpoint into CSV."""
    from ganstudio.core.data.images import IMAGE_SUFFIXES

    target, folder = Path(out), Path(images)
    inputs: list[str | Path | None] = [checkpoint, images, labels]
    with contextlib.suppress(OSError, ValueError):
        if (
            folder.is_dir()
            and target.suffix.lower() in IMAGE_SUFFIXES
            and target.resolve().is_relative_to(folder.resolve())
        ):
            inputs.append(target)  # one of the folder's images, read and then written over
    return overwritten_input(target, inputs)
