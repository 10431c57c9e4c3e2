"""Reading a .npy file a person hands over (images to classify, points drawn in the lab)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ganstudio.core.data.errors import DataError


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
    """numpy allocates the whole array its header names before it reads a byte: a header claiming a
    terabyte over a 100-byte file would end in MemoryError. The header must name no more than the file has."""
    version = np.lib.format.read_magic(file)
    if version not in ((1, 0), (2, 0)):
        raise DataError(f"{path} is a .npy file of version {version[0]}.{version[1]}, which is not read here")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, _, dtype = read_header(file)
    except ValueError:  # numpy's words quote the parser ("malformed node or string: <ast.Name object at 0x...>")
        raise DataError(f"{path} is not a readable .npy file (its header is not a valid NumPy header)") from None
    if dtype.hasobject:
        raise DataError(f"{path} holds Python objects, not numbers (such files are never unpickled)")
    left = os.fstat(file.fileno()).st_size - file.tell()
    if math.prod(shape) * dtype.itemsize > left:
        raise DataError(f"{path} is truncated: its header says {shape} of {dtype}, but {left:,} bytes follow it")
