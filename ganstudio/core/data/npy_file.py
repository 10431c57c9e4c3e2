"""Reading a .npy file a person hands over (images to classify, points drawn in the lab)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ganstudio.core.data.errors import DataError
from ganstudio.core.npy_header import npy_header_problem


def read_npy(path: str | Path, max_bytes: int, holds: str) -> np.ndarray:
    """The array in a .npy file, never unpickled, refused when the file is larger than max_bytes (numpy
    reads no more than the file holds, so that bounds the memory too). numpy's own refusals speak of
    pickled data and how to load it unsafely; these say what is wrong with the file instead.
    holds: what such a file is for, in the size refusal ("an image set")."""
    try:
        with Path(path).open("rb") as file:
            if os.fstat(file.fileno()).st_size > max_bytes:
                raise DataError(f"{path} is over {max_bytes / 2**20:,.0f} MB; that is not {holds}")
            if file.read(len(np.lib.format.MAGIC_PREFIX)) != np.lib.format.MAGIC_PREFIX:
                raise DataError(f"{path} is not a .npy file (it does not start with NumPy's header)")
            file.seek(0)
            _check_header(path, file)
            file.seek(0)
            array = np.load(file, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(f"{path} holds Python objects, not numbers (such files are never unpickled)") from None
        raise DataError(f"{path} is not a readable .npy file ({str(exc).splitlines()[0]})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable .npy file ({exc or type(exc).__name__})") from None
    return np.asarray(array)


def _check_header(path: str | Path, file: BinaryIO) -> None:
    problem = npy_header_problem(file, os.fstat(file.fileno()).st_size)
    if problem is not None:
        raise DataError(f"{path} {problem}")
