"""Each image's class probabilities as a CSV: the one file `ganstudio classify --out` and the window's
Save predictions both write, so a table made in one reads like the other's."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganstudio.core.atomic import write_named_text


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
