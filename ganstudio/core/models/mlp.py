"""Fully connected G and D: the 2014 paper's networks, for toy data and flattened images."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_shape: tuple[int, ...], width: int, image_output: bool):
        super().__init__()
        self.out_shape = out_shape
        out_features = math.prod(out_shape)
        layers: list[nn.Module] = [
            nn.Linear(latent_dim, width), nn.ReLU(),
            nn.Linear(width, width), nn.ReLU(),
            nn.Linear(width, out_features),  # (B, prod(out_shape))
        ]
        if image_output:
            layers.append(nn.Tanh())  # images live in [-1, 1]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """The first hidden layer, for GANSpace-style directions."""
        return self.net[:2](z)


class MLPDiscriminator(nn.Module):
    """Returns logits; losses apply the sigmoid inside stable BCE-with-logits maths."""

    def __init__(self, in_shape: tuple[int, ...], width: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(in_shape), width), nn.LeakyReLU(0.2),
            nn.Linear(width, width), nn.LeakyReLU(0.2),
            nn.Linear(width, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
