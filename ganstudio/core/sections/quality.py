"""The quality section: sample-quality scoring while training."""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.field_spec import QUALITY, setting
from ganstudio.core.sections import MAX_STEPS


@dataclass
class QualityConfig:
    """Sample-quality scoring in the shipped feature space while training (image datasets only)."""

    every: int = setting(
        1000,
        "Score every",
        "Steps between sample-quality evaluations (Fréchet distance, KID, "
        "precision/recall, density/coverage) in the shipped feature space; 0 = off. Image datasets "
        "only",
        at_least=0,
        at_most=MAX_STEPS,
        zero="off",
        fold=QUALITY,
    )
    samples: int = setting(
        2000,
        "Images scored",
        "Generated (and real) images per evaluation: more is steadier and slower",
        at_least=50,
        at_most=50000,
        fold=QUALITY,
    )
    keep_best: bool = setting(
        True,
        "Keep best checkpoint",
        "Save checkpoints/best.pt whenever the Fréchet distance reaches a new low",
        fold=QUALITY,
    )
    inception: bool = setting(
        False,
        "Inception FID",
        "Also compute standard FID with torchvision's Inception v3 (2048-d pool features; slow on a CPU)",
        fold=QUALITY,
    )
    inception_weights: str | None = setting(
        None,
        "Inception weights",
        "An inception_v3_google-*.pth file; empty "
        "looks in torch hub's cache. Nothing is ever downloaded during training",
        fold=QUALITY,
    )
