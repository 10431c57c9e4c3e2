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
    """A layer that draws random numbers while training, from a given generator (the trainer's), so a run
    with noise in D stays reproducible and resumes bit for bit; nn.Dropout and friends would draw from
    torch's global generator."""

    def __init__(self) -> None:
        super().__init__()
        self.generator: torch.Generator | None = None  # set by the trainer; None draws from the global one


class SeededDropout(SeededNoiseLayer):
    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0:
            return x
        keep = torch.empty(x.shape, device=x.device, dtype=x.dtype).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class SeededGaussianNoise(SeededNoiseLayer):
    """Adds N(0, std²) while training; Salimans et al. (2016) put it after every hidden layer of their
    MNIST D."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std <= 0:
            return x
        noise = torch.empty(x.shape, device=x.device, dtype=x.dtype).normal_(0.0, self.std, generator=self.generator)
        return x + noise

    def extra_repr(self) -> str:
        return f"std={self.std}"


def draw_noise_from(module: nn.Module, generator: torch.Generator) -> None:
    """Points every seeded noise layer in module at the run's generator."""
    for layer in module.modules():
        if isinstance(layer, SeededNoiseLayer):
            layer.generator = generator
