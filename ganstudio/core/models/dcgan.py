"""DCGAN-style convolutional G and D (Radford et al. 2016) for 28, 32 and 64 px images."""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.models.layers import MinibatchStd


def _base_size(image_size: int) -> tuple[int, int]:
    """(starting side, number of 2x up/down-samplings) that reach image_size."""
    if image_size == 28:
        return 7, 2
    return 4, {32: 3, 64: 4}[image_size]


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int, channels: int, image_size: int, width: int):
        super().__init__()
        self.base, ups = _base_size(image_size)
        self.top = width * 2 ** (ups - 1)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, self.top * self.base * self.base, bias=False),  # (B, top*base*base)
            nn.BatchNorm1d(self.top * self.base * self.base),
            nn.ReLU(True),
        )
        blocks: list[nn.Module] = []
        ch = self.top
        for _ in range(ups - 1):
            blocks += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2  # side doubles each block
        blocks += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]  # (B, C, size, size)
        self.body = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(z.shape[0], self.top, self.base, self.base)  # (B, top, base, base)
        return self.body(h)

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """An early feature layer (after the projection), for GANSpace-style directions."""
        return self.project(z)


class DCGANDiscriminator(nn.Module):
    """With pack = m (PacGAN) the input is m images stacked along the channels."""

    def __init__(self, channels: int, image_size: int, width: int, activation: str = "leaky_relu",
                 minibatch_std: bool = False, pack: int = 1, batch_norm: bool = True):
        super().__init__()
        base, downs = _base_size(image_size)
        act = (lambda: nn.LeakyReLU(0.2, True)) if activation == "leaky_relu" else (lambda: nn.ReLU(True))
        layers: list[nn.Module] = [nn.Conv2d(channels * pack, width, 4, 2, 1), act()]  # (B, W, s/2, s/2)
        ch = width
        for _ in range(downs - 1):
            norm = [nn.BatchNorm2d(ch * 2)] if batch_norm else []
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=not batch_norm), *norm, act()]
            ch *= 2
        if minibatch_std:
            layers.append(MinibatchStd())  # (B, ch + 1, base, base)
            ch += 1
        self.body = nn.Sequential(*layers)  # (B, ch, base, base)
        self.head = nn.Linear(ch * base * base, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1)).squeeze(1)
