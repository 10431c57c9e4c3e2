"""Fully connected G and D: the 2014 paper's networks, for toy data and flattened images."""

from __future__ import annotations

import math

import torch
from torch import nn

from ganstudio.core.models.conditional import ClassHead, label_maps
from ganstudio.core.models.layers import MinibatchStd


class MLPGenerator(nn.Module):
    """With components = C > 0 the first latent coordinate also picks one of C equally likely
    components (its normal CDF cut into C equal slices), each adding its own learned offset to
    the first layer. A generator continuous in z maps the connected Gaussian onto a connected
    set, so it must put samples between separated modes; the cut lets its image fall apart into
    C pieces (Khayatkhoei et al. 2018) while z stays N(0, I) for every other part of the app.

    With num_classes > 0 the class weights are concatenated to z (Mirza & Osindero 2014): a class
    moves the first layer's pre-activations by its own learned vector, so each class can be its own
    piece of the output without cutting z.
    """

    def __init__(
        self,
        latent_dim: int,
        out_shape: tuple[int, ...],
        width: int,
        image_output: bool,
        components: int = 0,
        num_classes: int = 0,
    ):
        super().__init__()
        self.out_shape = out_shape
        self.num_classes = num_classes
        out_features = math.prod(out_shape)
        self.embed = nn.Embedding(components, width) if components else None  # (C, width)
        layers: list[nn.Module] = [
            nn.Linear(latent_dim + num_classes, width),
            nn.ReLU(),  # (B, width)
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, out_features),  # (B, prod(out_shape))
        ]
        if image_output:
            layers.append(nn.Tanh())  # images live in [-1, 1]
        self.net = nn.Sequential(*layers)

    def component(self, z: torch.Tensor) -> torch.Tensor:
        """(B,) index of the component each latent belongs to."""
        if self.embed is None:
            raise ValueError("this generator has no latent components")
        cdf: torch.Tensor = torch.special.ndtr(z[:, 0].float())  # the normal CDF
        count = self.embed.num_embeddings
        return (cdf * count).long().clamp_(0, count - 1)

    def features(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        """The first hidden layer, for GANSpace-style directions."""
        if self.num_classes:
            if classes is None:
                raise ValueError("this generator is class-conditional: give the class weights")
            h = self.net[0](torch.cat([z, classes.to(z.dtype)], dim=1))  # (B, latent + C) -> (B, width)
        else:
            h = self.net[0](z)
        if self.embed is not None:
            h = h + self.embed(self.component(z)).to(h.dtype)
        features: torch.Tensor = self.net[1](h)
        return features

    def forward(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        """classes: (B, num_classes) class weights (one-hot rows for pure classes) when conditional."""
        out: torch.Tensor = self.net[2:](self.features(z, classes))
        return out.view(z.shape[0], *self.out_shape)


class MLPDiscriminator(nn.Module):
    """Returns logits; losses apply the sigmoid inside stable BCE-with-logits maths.

    With pack = m (PacGAN) the input is m samples concatenated along the features. Conditional:
    the labels join the input (concat), or a projection or auxiliary-classifier head reads the
    last hidden layer.
    """

    def __init__(
        self,
        in_shape: tuple[int, ...],
        width: int,
        activation: str = "leaky_relu",
        minibatch_std: bool = False,
        pack: int = 1,
        num_classes: int = 0,
        conditional: str = "off",
    ):
        super().__init__()
        act = (lambda: nn.LeakyReLU(0.2)) if activation == "leaky_relu" else nn.ReLU
        self.num_classes = num_classes if conditional != "off" else 0
        self.concat = bool(self.num_classes) and conditional == "concat"
        inputs = pack * math.prod(in_shape) + (self.num_classes if self.concat else 0)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(inputs, width),
            act(),  # (B, width)
            *([MinibatchStd()] if minibatch_std else []),  # (B, width + 1)
            nn.Linear(width + int(minibatch_std), width),
            act(),
            nn.Linear(width, 1),
        )
        self.class_head = ClassHead(conditional, width, num_classes) if self.num_classes and not self.concat else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """(B,) realness logits; (B, 1 + C) with AC-GAN's class logits after them."""
        if not self.num_classes:
            logits: torch.Tensor = self.net(x)
            return logits.squeeze(1)
        if labels is None:
            raise ValueError("this discriminator is class-conditional: give the labels")
        flat = self.net[0](x)
        if self.concat:
            flat = torch.cat([flat, label_maps(labels, self.num_classes, flat)], dim=1)  # (B, D + C)
        h = self.net[1:-1](flat)  # (B, width)
        logit: torch.Tensor = self.net[-1](h).squeeze(1)
        if self.class_head is None:
            return logit
        judged: torch.Tensor = self.class_head(h, logit, labels)
        return judged
