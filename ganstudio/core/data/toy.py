"""Toy distributions in 1D and 2D, sampled on demand on the training device.

Their mode centres and spreads are public so the mode-collapse metrics use the
exact same numbers as the sampler.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import torch

from ganstudio.core.wording import counted

RING_RADIUS = 1.0
RING_STD = 0.01
GRID_STD = 0.05
GAUSSIAN_1D_MEAN = 2.0
GAUSSIAN_1D_STD = 0.5
DRAWN_STD = 0.01
MAX_DRAWN_BYTES = 64 << 20  # 4 million (x, y) points; the lab paints thousands
_NOT_NUMBERS = {"U": "text", "S": "bytes", "b": "true/false values", "c": "complex numbers", "M": "dates", "m": "times"}


def load_drawn(path: str | None) -> torch.Tensor:
    """Points painted in the distribution lab, saved as an (N, 2) .npy file."""
    from ganstudio.core.data.errors import DataError
    from ganstudio.core.data.npy_file import read_npy

    if not path:
        raise DataError("a drawn distribution needs its .npy file of points")
    if not Path(path).expanduser().is_file():  # a FIFO would block np.load forever
        raise DataError(f"the drawn points file is missing or not a regular file: {path}")
    points = read_npy(path, MAX_DRAWN_BYTES, "a drawing of points")
    if points.dtype.kind not in "iuf":  # np.isfinite fails on text; complex and bool would pass as numbers
        what = _NOT_NUMBERS.get(points.dtype.kind, "values")
        raise DataError(f"{path} holds {what} ({points.dtype}), not numbers: a drawing is x, y coordinates")
    if points.ndim != 2 or points.shape[1] != 2:
        raise DataError(f"{path} holds an array of shape {points.shape}; a drawing is (N, 2): x, y for each point")
    if len(points) < 2:
        raise DataError(f"{path} holds {counted(len(points), 'point')}; a drawing needs at least 2")
    with np.errstate(over="ignore"):  # before the check: a float64 past float32's range turns infinite here
        points = points.astype(np.float32)
    if not np.isfinite(points).all():
        raise DataError(f"{path} holds NaN or infinite coordinates (as 32-bit floats); a drawing's are finite numbers")
    return torch.from_numpy(points)


def gaussian_1d_pdf(x: np.ndarray) -> np.ndarray:
    """The exact density of gaussian-1d: the lab draws this, so a smooth curve stands for the data
    rather than a histogram's sampling noise."""
    u = (np.asarray(x, dtype=np.float64) - GAUSSIAN_1D_MEAN) / GAUSSIAN_1D_STD
    return np.exp(-0.5 * u * u) / (GAUSSIAN_1D_STD * math.sqrt(2 * math.pi))


def gaussian_1d_quantiles(n: int) -> np.ndarray:
    """n points standing for gaussian-1d exactly: its quantiles at (i + 1/2) / n. A distance to them
    has no sampling noise on the data's side, so two runs differ only by what G did."""
    normal = NormalDist(GAUSSIAN_1D_MEAN, GAUSSIAN_1D_STD)
    return np.array([normal.inv_cdf((i + 0.5) / n) for i in range(n)])


def ring_centres(n: int = 8, radius: float = RING_RADIUS) -> torch.Tensor:
    """Centres at angle 2*pi*i/n (not linspace(0, 2pi, n), which repeats the first one)."""
    angles = torch.arange(n, dtype=torch.float64) * (2 * math.pi / n)
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1).float()


def grid_centres() -> torch.Tensor:
    values = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    xs, ys = torch.meshgrid(values, values, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


def mode_centres(name: str) -> tuple[torch.Tensor, float] | None:
    """(centres, std) for the distributions made of well-separated modes."""
    if name == "ring-8":
        return ring_centres(), RING_STD
    if name == "grid-25":
        return grid_centres(), GRID_STD
    return None


class ToyDistribution:
    """Seeded sampler of one named toy distribution; every draw goes through the caller's generator."""

    def __init__(self, name: str, device: torch.device, path: str | None = None):
        self.name = name
        self.device = device
        self.dim = 1 if name == "gaussian-1d" else 2
        modes = mode_centres(name)
        self._centres = modes[0].to(device) if modes else None
        self._std = modes[1] if modes else 0.0
        self._drawn = load_drawn(path).to(device) if name == "drawn" else None

    @property
    def num_classes(self) -> int:
        """The mode index is the class (ring-8, grid-25), or the moon (two-moons); 0 for the rest."""
        if self._centres is not None:
            return len(self._centres)
        return 2 if self.name == "two-moons" else 0

    @property
    def class_names(self) -> tuple[str, ...]:
        if self.name == "two-moons":
            return ("upper moon", "lower moon")
        if self._centres is None:
            return ()
        return tuple(
            f"mode {i} ({x:+.0f}, {y:+.0f})" if self.name == "grid-25" else f"mode {i}"
            for i, (x, y) in enumerate(self._centres.tolist())
        )

    def sample_labelled(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(points, their class indices), classes equally likely as in the data."""
        if not self.num_classes:
            raise ValueError(f"{self.name} has no classes")
        labels = torch.randint(self.num_classes, (n,), generator=generator, device=self.device)
        return self.sample_classes(labels, generator), labels

    def sample_classes(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One point of each given class: around its mode, or on its moon."""
        n, dev = labels.shape[0], self.device
        if self._centres is not None:
            return self._centres[labels] + self._std * torch.randn(n, 2, generator=generator, device=dev)
        if self.name != "two-moons":
            raise ValueError(f"{self.name} has no classes")
        t = math.pi * torch.rand(n, generator=generator, device=dev)
        return self._moons(t, labels == 0, generator)

    def _moons(self, t: torch.Tensor, upper: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Points at angles t on the upper or the lower moon, with the moons' noise."""
        x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
        y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
        pts = torch.stack([x - 0.5, y - 0.25], dim=1)
        return pts + 0.05 * torch.randn(t.shape[0], 2, generator=generator, device=self.device)

    def density(self, x: np.ndarray) -> np.ndarray | None:
        """The data's density along x for a 1D distribution known in closed form; None otherwise."""
        return gaussian_1d_pdf(x) if self.name == "gaussian-1d" else None

    def quantiles(self, n: int) -> np.ndarray | None:
        """n points spread as the data's quantiles, for a 1D distribution known in closed form."""
        return gaussian_1d_quantiles(n) if self.name == "gaussian-1d" else None

    def describe(self) -> str:
        return f"toy distribution {self.name} ({self.dim}D)"

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        dev = self.device
        if self.name == "gaussian-1d":
            return GAUSSIAN_1D_MEAN + GAUSSIAN_1D_STD * torch.randn(n, 1, generator=generator, device=dev)
        if self._centres is not None:
            idx = torch.randint(len(self._centres), (n,), generator=generator, device=dev)
            return self._centres[idx] + self._std * torch.randn(n, 2, generator=generator, device=dev)
        if self.name == "spiral":
            t = torch.rand(n, generator=generator, device=dev)
            angle = 3 * math.pi * t
            radius = 0.2 + 1.8 * t
            pts = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
            return pts + 0.04 * torch.randn(n, 2, generator=generator, device=dev)
        if self._drawn is not None:
            idx = torch.randint(len(self._drawn), (n,), generator=generator, device=dev)
            return self._drawn[idx] + DRAWN_STD * torch.randn(n, 2, generator=generator, device=dev)
        if self.name == "two-moons":
            t = math.pi * torch.rand(n, generator=generator, device=dev)
            return self._moons(t, torch.rand(n, generator=generator, device=dev) < 0.5, generator)
        raise ValueError(f"unknown toy distribution {self.name!r}")
