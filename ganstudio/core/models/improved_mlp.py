"""The fully connected G and D of Salimans et al. (2016) for MNIST, the networks behind their
semi-supervised classifier, scaled by model.width (the paper's sizes at width 250).

Kept from the paper: D's five hidden layers of falling width, weight normalisation on every D layer,
Gaussian noise after each hidden layer (the input's noise is the run's instance noise), ReLU (the
presets' model.d_activation); G's two softplus layers with BatchNorm. Left out: their mean-only BatchNorm and data-dependent initialisation
(D has no BatchNorm here, so a labelled, an unlabelled and a generated batch are judged alike).
On the bundled Fashion-MNIST this D gains far more from unlabelled images than the DCGAN D does
(README, Semi-supervised): without convolutions' built-in prior, what it learns about the images'
shape has to come from the data, and the unlabelled images are most of it.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from ganstudio.core.models.layers import SeededGaussianNoise

HIDDEN_NOISE = 0.5  # the paper's std after each of D's hidden layers
D_WIDTHS = (4, 2, 1, 1, 1)  # D's hidden sizes in units of model.width: 1000-500-250-250-250 at 250
G_WIDTH = 2  # G's two hidden layers, in units of model.width: 500 at 250


class ImprovedMLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, out_shape: tuple[int, ...], width: int, image_output: bool):
        super().__init__()
        self.out_shape = out_shape
        hidden = G_WIDTH * width
        self.project = nn.Sequential(nn.Linear(latent_dim, hidden), nn.BatchNorm1d(hidden), nn.Softplus())
        layers: list[nn.Module] = [
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.Softplus(),
            nn.Linear(hidden, math.prod(out_shape)),
        ]
        if image_output:
            layers.append(nn.Tanh())  # images live in [-1, 1]
        self.body = nn.Sequential(*layers)

    def features(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        """The first hidden layer, for GANSpace-style directions (classes: unconditional, never given)."""
        features: torch.Tensor = self.project(z)
        return features

    def forward(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        out: torch.Tensor = self.body(self.features(z))
        return out.view(z.shape[0], *self.out_shape)


class ImprovedMLPDiscriminator(nn.Module):
    """outputs: 1 realness logit, or a semi-supervised D's K class logits."""

    def __init__(self, in_shape: tuple[int, ...], width: int, activation: str = "relu", outputs: int = 1):
        super().__init__()
        act = (lambda: nn.LeakyReLU(0.2)) if activation == "leaky_relu" else nn.ReLU
        layers: list[nn.Module] = [nn.Flatten()]
        size = math.prod(in_shape)
        for factor in D_WIDTHS:
            layers += [nn.Linear(size, factor * width), act(), SeededGaussianNoise(HIDDEN_NOISE)]
            size = factor * width
        self.body = nn.Sequential(*layers)  # (B, width)
        self.head = nn.Linear(size, outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer (B, width), whose batch means feature matching compares."""
        features: torch.Tensor = self.body(x)
        return features

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """(B,) realness logits, or (B, K) class logits (labels: unconditional, never given)."""
        logits: torch.Tensor = self.head(self.body(x))
        return logits if self.head.out_features > 1 else logits.squeeze(1)

    def normalise_weights(self) -> None:
        """Weight normalisation (Salimans & Kingma 2016) on every layer, each weight row's length its own
        parameter, kept at torch's default initialisation (build_models gives this D no init_weights): that
        gives every row the same length (1/sqrt(3)) whatever its fan-in, where N(0, 0.02) would shrink a
        narrow layer's output until the hidden noise drowned it."""
        for layer in [*self.body, self.head]:
            if isinstance(layer, nn.Linear):
                weight_norm(layer)
