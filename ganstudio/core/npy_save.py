"""Writing a .npy whose failure says why. Given a real file, numpy writes the array with ndarray.tofile,
and a full disk then raises an OSError without an errno ("2000000 requested and 76768 written": a count
of items, not of anything the user asked for). Given any other writable object it writes 16 MiB pieces
with write(), where a full disk is ENOSPC like every other failed write."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np


class _Pieces:
    """Not a file to numpy: its arrays arrive through write()."""

    def __init__(self, fh: BinaryIO):
        self.write = fh.write


def save_npy(path: str | Path, array: np.ndarray) -> None:
    """np.save without its ".npy" added to the name, and without pickled objects."""
    with open(path, "wb") as fh:
        np.lib.format.write_array(_Pieces(fh), np.asanyarray(array), allow_pickle=False)
