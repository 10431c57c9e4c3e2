"""The fixed latents of a run's sample grid: the same pictures at every refresh, so the grid shows the
generator changing, not the noise."""

from __future__ import annotations

import torch

FIXED_NOISE_SIZE = 64
FIXED_COLUMNS = 8  # conditional fixed samples: this many styles (z) per class row
MAX_FIXED_ROWS = 16  # and at most this many classes (the first ones), so a 100-class folder keeps a small grid


def fixed_latents(
    seed: int, latent_dim: int, num_classes: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(latents, labels): 64 latents, or for a conditional run one row per class with the same
    FIXED_COLUMNS latents in every row, so a column is one style in each class."""
    fixed = torch.Generator().manual_seed(seed + 1)
    if not num_classes:
        return torch.randn(FIXED_NOISE_SIZE, latent_dim, generator=fixed).to(device), None
    rows = min(num_classes, MAX_FIXED_ROWS)
    styles = torch.randn(FIXED_COLUMNS, latent_dim, generator=fixed)
    labels = torch.arange(rows).repeat_interleave(FIXED_COLUMNS).to(device)
    return styles.repeat(rows, 1).to(device), labels  # (rows * columns, latent)
