"""Checking a .npy header before numpy reads the array it names; light (numpy only), for the data readers
and for files a watching window reads before torch is loaded."""

from __future__ import annotations

import math
from typing import BinaryIO

import numpy as np


def npy_header_problem(file: BinaryIO, size: int) -> str | None:
    """numpy allocates the whole array its header names before it reads a byte: a header claiming a
    terabyte over a 100-byte file would end in MemoryError. The header must name no more than the file's
    size bytes have. What is wrong, after the file's name ("is truncated: ..."); None when nothing is."""
    version = np.lib.format.read_magic(file)
    if version not in ((1, 0), (2, 0)):
        return f"is a .npy file of version {version[0]}.{version[1]}, which is not read here"
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, _, dtype = read_header(file)
    except ValueError:  # numpy's words quote the parser ("malformed node or string: <ast.Name object at 0x...>")
        return "is not a readable .npy file (its header is not a valid NumPy header)"
    if dtype.hasobject:
        return "holds Python objects, not numbers (such files are never unpickled)"
    left = size - file.tell()
    need = math.prod(shape) * dtype.itemsize
    if need > left:
        return f"is truncated: its header says {shape} of {dtype}, but {left:,} bytes follow it"
    if need < left:  # numpy would read the array and never look at the rest: the file is not what it says
        return f"holds {left - need:,} bytes more than the {shape} of {dtype} its header says"
    return None
