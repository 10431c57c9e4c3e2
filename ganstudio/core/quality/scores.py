"""Sample-quality scores in a feature space: Fréchet distance, KID, precision/recall,
density/coverage and a memorisation check.

Fréchet distance and KID come from torchmetrics (fed precomputed features through an identity
extractor, so each image passes the feature network once for every score). torchmetrics has no
k-NN manifold metrics, so precision/recall (Kynkäänniemi et al. 2019, k = 3) and density/coverage
(Naeem et al. 2020, k = 5) are written here on torch.cdist, in chunks so 10,000 x 10,000
distances never sit in memory at once.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

PR_NEIGHBOURS = 3
DC_NEIGHBOURS = 5
CHUNK = 2048
NEAREST_BYTES = 1 << 27  # the distances nearest_distances holds at once
# Under torchrun only rank 0 scores: torchmetrics would otherwise gather every rank's state at compute()
# and wait for ever on ranks that are not scoring.
ONE_PROCESS: dict[str, Any] = {"sync_on_compute": False}


class _Precomputed(nn.Module):
    """Lets torchmetrics' FID/KID take features that were already extracted."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=_Precomputed(real.shape[1]), **ONE_PROCESS)
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    return float(metric.compute())


def kernel_distance(real: torch.Tensor, fake: torch.Tensor, subsets: int = 50) -> tuple[float, float]:
    """KID (cubic polynomial kernel MMD²): mean and std over random subsets of up to 1,000, and at most
    half the images, so that the subsets differ and their std says something (subsets of all the
    images are one subset 50 times: std 0)."""
    from torchmetrics.image.kid import KernelInceptionDistance

    subset_size = max(2, min(1000, len(real) // 2, len(fake) // 2))
    with warnings.catch_warnings():  # it warns that it keeps every feature: ours are 128-d, a few MB
        warnings.simplefilter("ignore", UserWarning)
        metric = KernelInceptionDistance(
            feature=_Precomputed(real.shape[1]), subsets=subsets, subset_size=subset_size, **ONE_PROCESS
        )
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    mean, std = metric.compute()
    return float(mean), float(std)


def knn_radii(points: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point (the point itself is excluded)."""
    return torch.cat(
        [torch.cdist(points[i : i + CHUNK], points).kthvalue(k + 1, dim=1).values for i in range(0, len(points), CHUNK)]
    )


def _ball_hits(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per query: how many centre balls contain it; per centre: whether any query lies inside it."""
    counts, covered = [], torch.zeros(len(centres), dtype=torch.bool, device=centres.device)
    for i in range(0, len(queries), CHUNK):
        inside = torch.cdist(queries[i : i + CHUNK], centres) <= radii[None, :]
        counts.append(inside.sum(dim=1))
        covered |= inside.any(dim=0)
    return torch.cat(counts), covered


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = PR_NEIGHBOURS) -> tuple[float, float]:
    """Precision: fakes inside the real manifold; recall: reals inside the fake manifold."""
    fake_in_real, _ = _ball_hits(fake, real, knn_radii(real, k))
    real_in_fake, _ = _ball_hits(real, fake, knn_radii(fake, k))
    return float((fake_in_real > 0).float().mean()), float((real_in_fake > 0).float().mean())


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = DC_NEIGHBOURS) -> tuple[float, float]:
    """Density: mean number of real balls a fake falls in, over k; coverage: reals whose ball holds a fake."""
    counts, covered = _ball_hits(fake, real, knn_radii(real, k))
    return float(counts.float().sum() / (k * len(fake))), float(covered.float().mean())


def nearest_distances(
    queries: torch.Tensor, reference: torch.Tensor, own_rows: torch.Tensor | None = None
) -> torch.Tensor:
    """Each query's distance to its nearest reference row; own_rows[i] >= 0 names query i's own row in
    the reference, left out (a training image is not its own nearest neighbour). As many queries at a
    time as keep their distances to a large reference (60,000 training images) near NEAREST_BYTES."""
    out = []
    rows = max(1, min(CHUNK, NEAREST_BYTES // (8 * max(1, len(reference)))))
    for i in range(0, len(queries), rows):
        distances = torch.cdist(queries[i : i + rows], reference)
        if own_rows is not None:
            own = own_rows[i : i + rows]
            members = torch.nonzero(own >= 0).squeeze(1)
            distances[members, own[members]] = math.inf
        out.append(distances.min(dim=1).values)
    return torch.cat(out)


def memorisation(
    train: torch.Tensor, real: torch.Tensor, fake: torch.Tensor, real_nn: torch.Tensor | None = None
) -> tuple[float, float]:
    """How close generated images sit to training images, against how close other real images do.

    Returns (ratio of median nearest-training distances fake / real, fraction of fakes closer to a
    training image than 99 % of real images are). A ratio well below 1 or a large fraction means
    the generator is copying its training set. real_nn: the real images' distances, when the caller
    keeps them (they do not change from one evaluation to the next; a training image among them
    measured to the others).
    """
    if real_nn is None:
        real_nn = nearest_distances(real, train)
    fake_nn = nearest_distances(fake, train)
    ratio = float(fake_nn.median() / real_nn.median().clamp_min(1e-12))
    threshold = torch.quantile(real_nn, 0.01)
    return ratio, float((fake_nn < threshold).float().mean())


@dataclass
class QualityReport:
    samples: int
    frechet: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    density: float
    coverage: float
    memorisation_ratio: float
    memorised_fraction: float
    inception_fid: float | None = None
    seconds: float = 0.0
    # Class-conditional generators (core/quality/class_scores.py, cas.py); None otherwise
    label_accuracy: float | None = None  # share of fakes the shipped classifier assigns to their class
    real_label_accuracy: float | None = None  # the same classifier on the real images compared against
    intra_fd: float | None = None  # mean per-class Fréchet distance
    class_label_accuracy: dict[str, float] | None = None  # class name -> label accuracy
    class_intra_fd: dict[str, float] | None = None  # class name -> Fréchet distance within the class
    cas: float | None = None  # classification accuracy score (ganstudio eval --cas)
    cas_real: float | None = None  # its reference: the same classifier trained on real images

    def to_record(self) -> dict[str, Any]:
        def rounded(value: object) -> object:
            if isinstance(value, float):
                return round(value, 6)
            if isinstance(value, dict):
                return {key: rounded(inner) for key, inner in value.items()}
            return value

        return {key: rounded(value) for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> QualityReport:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__ if name in record})

    def is_finite(self) -> bool:
        return math.isfinite(self.frechet)


def score_features(
    real: torch.Tensor, fake: torch.Tensor, train: torch.Tensor, real_nn: torch.Tensor | None = None
) -> QualityReport:
    """Every score from features: real and fake are compared; train is the memorisation reference (the
    images G trained on), real_nn as memorisation takes it."""
    precision, recall = precision_recall(real, fake)
    density, coverage = density_coverage(real, fake)
    kid, kid_std = kernel_distance(real, fake)
    ratio, memorised = memorisation(train, real, fake, real_nn)
    return QualityReport(
        len(fake), frechet_distance(real, fake), kid, kid_std, precision, recall, density, coverage, ratio, memorised
    )
