"""What the distribution lab draws for a toy model, as plain arrays, and as a file in the run folder for a
window watching the run. Nothing here imports torch: a watching window reads the file before it has any.

The Distribution tab draws D and G themselves (D's curve or map, G's gradient field and manifold), which a
watching window cannot compute: it has no D. The training process writes the frame it drew, at most once a
second, to RUN/distribution.npz; the window draws it as it draws a frame of its own run. The file is
untrusted input (anyone may write a watched folder): it is read as the run's other files are (never through
a link, a pipe or a device), without pickle, its size bounded, and a frame is made of it only when every
array has the shape, type and finiteness the view draws from.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ganstudio.core.atomic import atomic_write
from ganstudio.core.npy_header import npy_header_problem
from ganstudio.core.run_file import read_run_file

MAX_FILE_BYTES = 16 << 20  # a ring-8 frame is about 40 KB: 1,000 points each side, an 80 x 80 map of D
MAX_POINTS = 100_000  # rows of real, fake and arrows; samples along xs
MAX_SIDE = 1024  # of d_map and the manifold grid
D_LABELS = ("D(x)", "D score")


@dataclass(frozen=True)
class DistributionFrame:
    step: int
    dim: int
    real: np.ndarray  # (N, dim)
    fake: np.ndarray  # (N, dim)
    d_label: str  # "D(x)" or "D score" (least squares)
    xs: np.ndarray | None = None  # 1D: the x axis
    d_curve: np.ndarray | None = None  # 1D: D along xs
    data_density: np.ndarray | None = None  # 1D: the data's exact density along xs; None when not in closed form
    z_values: np.ndarray | None = None  # 1D: a regular z line and where G sends it
    x_of_z: np.ndarray | None = None
    extent: tuple[float, float, float, float] | None = None  # 2D: xmin, xmax, ymin, ymax of d_map
    d_map: np.ndarray | None = None  # 2D: (GRID, GRID) D over the plane, row = y
    arrow_from: np.ndarray | None = None  # 2D: generated points and where D pushes them
    arrow_vec: np.ndarray | None = None
    manifold: np.ndarray | None = None  # 2D: (side, side, 2) image of a regular z grid
    manifold_pieces: np.ndarray | None = None  # 2D: (side, side) latent piece of each grid z; None without pieces


_SCALARS = ("step", "dim", "d_label")
_ARRAYS = tuple(f.name for f in fields(DistributionFrame) if f.name not in _SCALARS)


class DistributionFileError(ValueError):
    """The file is not a distribution frame this version wrote."""


def write_distribution(frame: DistributionFrame, path: str | Path) -> None:
    """Whole or not at all: a watcher never reads half a frame."""
    arrays = {name: np.asarray(getattr(frame, name)) for name in _ARRAYS if getattr(frame, name) is not None}
    arrays |= {name: np.asarray(getattr(frame, name)) for name in _SCALARS}
    buffer = io.BytesIO()
    savez: Callable[..., None] = np.savez  # numpy's stubs type every keyword as its allow_pickle flag
    savez(buffer, **arrays)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def read_distribution(path: str | Path) -> DistributionFrame:
    """Raises OSError when it cannot be read (gone, being replaced, not a regular file of the run's own) and
    DistributionFileError when what it holds is not a frame."""
    data = read_run_file(path, MAX_FILE_BYTES + 1)  # never a link, a pipe or a device
    if len(data) > MAX_FILE_BYTES:
        raise DistributionFileError(f"{path} is over {MAX_FILE_BYTES >> 20} MB")
    try:
        return _frame(_arrays(data))
    except DistributionFileError as exc:
        raise DistributionFileError(f"{path} is not a distribution frame: {exc}") from None


def _arrays(data: bytes) -> dict[str, np.ndarray]:
    """The .npy entries of an .npz, each checked before numpy allocates what its header names: stored,
    never compressed (a small file cannot unpack to gigabytes), no larger than the file."""
    arrays = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(data):
                    raise DistributionFileError(f"{info.filename} is compressed or larger than the file")
                if not info.filename.endswith(".npy"):
                    raise DistributionFileError(f"{info.filename} is not an array")
                raw = archive.read(info)
                problem = npy_header_problem(io.BytesIO(raw), len(raw))
                if problem is not None:
                    raise DistributionFileError(f"{info.filename} {problem}")
                arrays[info.filename.removesuffix(".npy")] = np.load(io.BytesIO(raw), allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise DistributionFileError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return arrays


def _frame(arrays: dict[str, np.ndarray]) -> DistributionFrame:
    unknown = set(arrays) - {*_ARRAYS, *_SCALARS}
    if unknown:
        raise DistributionFileError(f"unknown arrays {sorted(unknown)}")
    step, dim = _whole(arrays, "step", 0, 2**62), _whole(arrays, "dim", 1, 2)
    label = arrays.get("d_label")
    if label is None or label.shape != () or label.dtype.kind != "U" or str(label) not in D_LABELS:
        raise DistributionFileError("d_label is not one of " + ", ".join(D_LABELS))
    real = _floats(arrays, "real", (None, dim))
    fake = _floats(arrays, "fake", (None, dim), finite=False)  # a diverging G's points; the view leaves them out
    if not len(real):
        raise DistributionFileError("no real points")
    common = (step, dim, real, fake, str(label))
    if dim == 1:
        xs = _floats(arrays, "xs", (None,))
        n = len(xs)
        if n < 2 or not np.all(np.diff(xs) > 0):
            raise DistributionFileError("xs is not a rising line")
        z = _floats(arrays, "z_values", (None,))
        return DistributionFrame(
            *common,
            xs=xs,
            d_curve=_floats(arrays, "d_curve", (n,)),
            data_density=_floats(arrays, "data_density", (n,)) if "data_density" in arrays else None,
            z_values=z,
            x_of_z=_floats(arrays, "x_of_z", (len(z),)),
        )
    extent = _floats(arrays, "extent", (4,))
    if not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise DistributionFileError("extent is not a box")
    start = _floats(arrays, "arrow_from", (None, 2))
    manifold = _floats(arrays, "manifold", (None, None, 2), MAX_SIDE)
    pieces = arrays.get("manifold_pieces")
    if pieces is not None and (pieces.shape != manifold.shape[:2] or pieces.dtype.kind not in "iu"):
        raise DistributionFileError("manifold_pieces is not one whole number per manifold point")
    return DistributionFrame(
        *common,
        extent=(float(extent[0]), float(extent[1]), float(extent[2]), float(extent[3])),
        d_map=_floats(arrays, "d_map", (None, None), MAX_SIDE),
        arrow_from=start,
        arrow_vec=_floats(arrays, "arrow_vec", (len(start), 2)),
        manifold=manifold,
        manifold_pieces=pieces,
    )


def _whole(arrays: dict[str, np.ndarray], name: str, low: int, high: int) -> int:
    value = arrays.get(name)
    if value is None or value.shape != () or value.dtype.kind not in "iu" or not low <= int(value) <= high:
        raise DistributionFileError(f"{name} is not a whole number from {low} to {high}")
    return int(value)


def _floats(
    arrays: dict[str, np.ndarray],
    name: str,
    shape: tuple[int | None, ...],
    bound: int = MAX_POINTS,
    finite: bool = True,
) -> np.ndarray:
    """shape: None where any length up to bound will do."""
    value = arrays.get(name)
    if value is None or value.dtype.kind != "f" or value.ndim != len(shape):
        raise DistributionFileError(f"{name} is missing or not {len(shape)}-d floats")
    for length, expected in zip(value.shape, shape, strict=True):
        if length != expected if expected is not None else length > bound:
            raise DistributionFileError(f"{name} has shape {value.shape}")
    if finite and not np.isfinite(value).all():
        raise DistributionFileError(f"{name} is not finite")
    return value
