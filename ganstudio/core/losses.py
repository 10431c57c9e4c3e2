"""GAN loss families on discriminator logits, each a small pure function.

D's loss is the sum of its real and fake terms, so at the 2014 equilibrium (D = 1/2
everywhere) the minimax and non-saturating families report 2 ln 2.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

EQUILIBRIUM_D_LOSS = 2 * math.log(2)  # ~1.386


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    if kind in ("minimax", "non-saturating"):
        # -log D(x) - log(1 - D(G(z))), written with softplus for stability
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if kind == "least-squares":
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()
    raise ValueError(f"unknown loss {kind!r}")


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - D(G(z))), which G minimises
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()  # -log D(G(z))
    if kind == "least-squares":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    raise ValueError(f"unknown loss {kind!r}")


def d_output(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """What the plots call D(x): a probability for BCE losses, the raw score for least squares."""
    return logits if kind == "least-squares" else torch.sigmoid(logits)
