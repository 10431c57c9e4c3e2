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


class SeededNoiseLayer(nn.Module):
    """A layer that perturbs its input while training, drawing from a given generator (the trainer's), so a
    run with noise in D stays reproducible and resumes bit for bit; nn.Dropout and friends would draw from
    torch's global generator. Subclasses say how much (amount, 0 = off) and how (perturb)."""

    def __init__(self, amount: float) -> None:
        super().__init__()
        self.amount = amount
        self.generator: torch.Generator | None = None  # set by the trainer; None draws from the global one

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.amount <= 0:
            return x
        return self.perturb(x, torch.empty(x.shape, device=x.device, dtype=x.dtype))

    def perturb(self, x: torch.Tensor, scratch: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class SeededDropout(SeededNoiseLayer):
    """amount: the rate of units dropped."""

    def perturb(self, x: torch.Tensor, scratch: torch.Tensor) -> torch.Tensor:
        keep = scratch.bernoulli_(1 - self.amount, generator=self.generator)
        return x * keep / (1 - self.amount)

    def extra_repr(self) -> str:
        return f"p={self.amount}"


class SeededGaussianNoise(SeededNoiseLayer):
    """amount: the noise's std. Salimans et al. (2016) put it after every hidden layer of their MNIST D."""

    def perturb(self, x: torch.Tensor, scratch: torch.Tensor) -> torch.Tensor:
        return x + scratch.normal_(0.0, self.amount, generator=self.generator)

    def extra_repr(self) -> str:
        return f"std={self.amount}"


def draw_noise_from(module: nn.Module, generator: torch.Generator) -> None:
    """Points every seeded noise layer in module at the run's generator."""
    for layer in module.modules():
        if isinstance(layer, SeededNoiseLayer):
            layer.generator = generator
