"""Reader for the idx format of (Fashion-)MNIST, gzipped or not."""

from __future__ import annotations

import gzip
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


def read_idx(path: str | Path, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """max_bytes: what the file may unpack to; a caller that knows how much it expects (labels for N
    images) gives less, so a gzip that inflates to gigabytes costs what it should have held."""
    path = Path(path)
    if not path.is_file():  # a FIFO or device would block the read forever
        raise IdxError(f"{path} is not a regular file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise IdxError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:  # before its size: what it is
        raise IdxError(f"{path} is not an idx file")
    if len(raw) > max_bytes:
        if max_bytes < MAX_IDX_BYTES:
            raise IdxError(f"{path} holds more than the {max_bytes:,} bytes expected of it")
        raise IdxError(f"{path} unpacks to more than {MAX_IDX_BYTES >> 30} GB; that is no image dataset")
    dtype = _DTYPES[raw[2]]
    ndim = raw[3]
    if ndim == 0:
        raise IdxError(f"{path} declares no dimensions: it holds no images or labels")
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = math.prod(shape) if shape else 0  # Python's integers: numpy's would wrap a forged header to 0
    if len(raw) - header < count * dtype.itemsize:
        raise IdxError(f"{path} is truncated: header says {shape}")
    values: np.ndarray = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape).copy()
    return values
