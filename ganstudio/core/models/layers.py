"""Small layers shared by the discriminators."""

from __future__ import annotations

import torch
from torch import nn


class MinibatchStd(nn.Module):
    """Appends the batch's mean standard deviation as one more channel or feature (Karras et al. 2018).

    A generator that collapses produces a batch with little spread; this lets D see that directly.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = (x.var(dim=0, unbiased=False) + 1e-8).sqrt().mean()  # eps: finite gradients where the batch agrees
        extra = std.expand(x.shape[0], 1, *x.shape[2:])
        return torch.cat([x, extra], dim=1)
