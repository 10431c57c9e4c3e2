"""Mode-collapse metrics for the toy mixtures, with the protocol of VEEGAN and PacGAN.

2,500 generated samples; a sample is high-quality when it lies within 3 standard deviations
of its nearest mode centre; a mode is captured when it is the nearest centre of at least one
high-quality sample. Also the Jensen-Shannon divergence between real and generated densities
estimated on a grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ganstudio.core.mode_metrics import ModeMetrics

PROTOCOL_SAMPLES = 2500
HIGH_QUALITY_STDS = 3.0


def mode_coverage(samples: np.ndarray, centres: np.ndarray, std: float) -> tuple[int, float]:
    """(modes captured, high-quality fraction); non-finite samples count as low quality."""
    samples = np.asarray(samples, dtype=np.float64)
    finite = np.isfinite(samples).all(axis=1)
    if not finite.any():
        return 0, 0.0
    pts = samples[finite]
    dist = np.linalg.norm(pts[:, None, :] - np.asarray(centres, dtype=np.float64)[None], axis=2)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(pts)), nearest] <= HIGH_QUALITY_STDS * std
    return len(np.unique(nearest[good])), float(good.sum() / len(samples))


def js_divergence(real: np.ndarray, fake: np.ndarray, bins: int = 50) -> float:
    """JS divergence of two sample sets, histogrammed on a grid around the real data.

    Generated points outside the grid (or non-finite) fall into one extra "elsewhere" cell,
    so a generator that wanders off is penalised rather than ignored.
    """
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    lo, hi = real.min(axis=0), real.max(axis=0)
    margin = 0.1 * np.maximum(hi - lo, 1e-6)
    edges = [np.linspace(a, b, bins + 1) for a, b in zip(lo - margin, hi + margin, strict=True)]

    def density(points: np.ndarray) -> np.ndarray:
        finite = points[np.isfinite(points).all(axis=1)]
        hist, _ = np.histogramdd(finite, bins=edges)
        counts = np.append(hist.ravel(), len(points) - hist.sum())
        return counts / max(1, len(points))

    p, q = density(real), density(fake)
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / m[mask])))

    return min(math.log(2), max(0.0, 0.5 * kl(p) + 0.5 * kl(q)))


def own_mode_fractions(samples: np.ndarray, labels: np.ndarray, centres: np.ndarray, std: float) -> tuple[float, ...]:
    """Per class c: the fraction of the samples generated for c that lie within 3 std of mode c itself
    (a conditional generator that puts class 3 on mode 5 scores 0 for class 3, however sharp)."""
    samples = np.asarray(samples, dtype=np.float64)
    own = np.asarray(centres, dtype=np.float64)[labels]
    with np.errstate(invalid="ignore"):
        good = np.linalg.norm(samples - own, axis=1) <= HIGH_QUALITY_STDS * std  # NaN compares False
    return tuple(float(good[labels == c].mean()) if (labels == c).any() else 0.0 for c in range(len(centres)))


def mode_metrics(
    real: np.ndarray, fake: np.ndarray, centres: np.ndarray, std: float, labels: np.ndarray | None = None
) -> ModeMetrics:
    """labels: the class each fake was generated for (conditional models), for own_mode."""
    captured, hq = mode_coverage(fake, centres, std)
    own = own_mode_fractions(fake, labels, centres, std) if labels is not None else None
    return ModeMetrics(captured, len(centres), hq, js_divergence(real, fake), own)


@dataclass(frozen=True)
class MatchMetrics:
    """How close G is to 1D data, and what D says about it: D at 1/2 means equilibrium only
    when W1 is small too (a D that stopped learning also reads 1/2)."""

    w1: float  # Wasserstein-1 distance from G's samples to the data, in data units
    d_real: float  # mean D(x) on real samples
    d_fake: float  # mean D(G(z))
    d_loss: float  # D's loss, real and fake terms summed (2 ln 2 at equilibrium)

    def to_record(self) -> dict[str, float]:
        return {"w1": self.w1, "d_real": self.d_real, "d_fake": self.d_fake, "d_loss": self.d_loss}


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """W1 between two 1D sample sets: the area between their empirical CDFs.

    Chosen over a histogram JS for the 1D lab because it keeps growing with how far mass sits from
    where it should (JS stops at ln 2 once the supports part) and reads in the data's units.
    Infinite when a sample is not finite: a generator that blew up is as far as it gets.
    """
    a = np.sort(np.asarray(a, dtype=np.float64).ravel())
    b = np.sort(np.asarray(b, dtype=np.float64).ravel())
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf
    points = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(a, points[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, points[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * np.diff(points)))
