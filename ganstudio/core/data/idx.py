"""Reader for the idx format of (Fashion-)MNIST, gzipped or not."""

from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path

import numpy as np

_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


MAX_IDX_BYTES = 2 << 30  # the full Fashion-MNIST training split is 47 MB; more is a gzip bomb or a mistake


class IdxError(ValueError):
    pass


class IdxTooLarge(IdxError):
    """The header declares more values than the caller expects; shape says what it declares, so a caller that
    knows what the file should hold (labels for N images) can say what is wrong in those words."""

    def __init__(self, message: str, shape: tuple[int, ...]):
        super().__init__(message)
        self.shape = shape


def read_idx(path: str | Path, max_bytes: int = MAX_IDX_BYTES, max_items: int | None = None) -> np.ndarray:
    """max_bytes: what the values may take; a caller that knows how much it expects (labels for N images)
    gives less, and max_items bounds the first dimension (the images a classify takes at once). The header's
    sizes are checked against both before the values are read, and only the values it declares are read,
    straight into the array: a gzip that inflates to gigabytes costs nothing more."""
    path = Path(path)
    if not path.exists():
        raise IdxError(f"not found: {path}")
    if not path.is_file():  # a FIFO or device would block the read forever
        raise IdxError(f"{path} is not a regular file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            magic = fh.read(4)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES:
                raise IdxError(f"{path} is not an idx file")
            dtype, ndim = _DTYPES[magic[2]], magic[3]
            if ndim == 0:
                raise IdxError(f"{path} declares no dimensions: it holds no images or labels")
            if ndim > 3:  # a forged header's many sizes, most of them 0, read as "holds more than" its shape
                raise IdxError(f"{path} declares {ndim} dimensions: images have 3 (count, rows, columns), labels 1")
            sizes = fh.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise IdxError(f"{path} is truncated in its header")
            shape = tuple(int.from_bytes(sizes[4 * i : 4 + 4 * i], "big") for i in range(ndim))
            size = math.prod(shape) * dtype.itemsize  # Python's integers: numpy's would wrap a forged header to 0
            if max_items is not None and shape[0] > max_items:
                raise IdxTooLarge(f"{path} holds {shape[0]:,} items, over the {max_items:,} read at once", shape)
            if size > max_bytes:
                if max_bytes < MAX_IDX_BYTES:
                    raise IdxTooLarge(f"{path} holds more than the {max_bytes:,} bytes expected of it ({shape})", shape)
                raise IdxTooLarge(
                    f"{path} declares {shape}, over {MAX_IDX_BYTES >> 30} GB; that is no image dataset", shape
                )
            values = np.empty(shape, dtype=dtype)
            if _read_into(fh, values.reshape(-1).view(np.uint8).data) < size:
                raise IdxError(f"{path} is truncated: header says {shape}")
            if fh.read(1):  # one byte more, not the rest: a file that is not what its header says is refused
                raise IdxError(f"{path} holds more than the {shape} its header declares")
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise IdxError(f"cannot read {path}: {exc}") from None
    return values


def _read_into(fh: io.BufferedIOBase, buffer: memoryview) -> int:
    """Bytes read into buffer, until it is full or the file ends (a gzip stream gives a chunk at a time)."""
    got = 0
    while got < len(buffer):
        n = fh.readinto(buffer[got:])
        if not n:
            break
        got += n
    return got
