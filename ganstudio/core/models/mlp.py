"""Fully connected G and D: the 2014 paper's networks, for toy data and flattened images."""

from __future__ import annotations

import math

import torch
from torch import nn

from ganstudio.core.models.layers import MinibatchStd


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
    """Returns logits; losses apply the sigmoid inside stable BCE-with-logits maths.

    With pack = m (PacGAN) the input is m samples concatenated along the features.
    """

    def __init__(self, in_shape: tuple[int, ...], width: int, activation: str = "leaky_relu",
                 minibatch_std: bool = False, pack: int = 1):
        super().__init__()
        act = (lambda: nn.LeakyReLU(0.2)) if activation == "leaky_relu" else nn.ReLU
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(pack * math.prod(in_shape), width), act(),  # (B, width)
            *([MinibatchStd()] if minibatch_std else []),  # (B, width + 1)
            nn.Linear(width + int(minibatch_std), width), act(),
            nn.Linear(width, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
