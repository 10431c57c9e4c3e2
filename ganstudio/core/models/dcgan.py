"""DCGAN-style convolutional G and D (Radford et al. 2016) for 28, 32 and 64 px images.

With num_classes > 0 they are class-conditional: G's BatchNorms become conditional BatchNorms
(kind "cbn") or the class weights are concatenated to z (kind "concat", Mirza & Osindero 2014);
D adds a projection or an auxiliary-classifier head, or takes the labels as extra input channels.
Unconditional models keep their layer names, so older checkpoints load as before.
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.models.conditional import (
    ClassHead,
    ConditionalBatchNorm,
    label_maps,
    run_layers,
)
from ganstudio.core.models.layers import MinibatchStd, SeededDropout


def _base_size(image_size: int) -> tuple[int, int]:
    """(starting side, number of 2x up/down-samplings) that reach image_size."""
    if image_size == 28:
        return 7, 2
    return 4, {32: 3, 64: 4}[image_size]


class DCGANGenerator(nn.Module):
    def __init__(
        self,
        latent_dim: int,
        channels: int,
        image_size: int,
        width: int,
        num_classes: int = 0,
        conditioning: str = "cbn",
    ):
        super().__init__()
        self.num_classes = num_classes
        self.concat = num_classes > 0 and conditioning == "concat"
        cbn = num_classes > 0 and not self.concat

        def norm(features: int, spatial: bool) -> nn.Module:
            if cbn:
                return ConditionalBatchNorm(features, num_classes, spatial)
            return nn.BatchNorm2d(features) if spatial else nn.BatchNorm1d(features)

        self.base, ups = _base_size(image_size)
        self.top = width * 2 ** (ups - 1)
        inputs = latent_dim + (num_classes if self.concat else 0)
        self.project = nn.Sequential(
            nn.Linear(inputs, self.top * self.base * self.base, bias=False),  # (B, top*base*base)
            norm(self.top * self.base * self.base, spatial=False),
            nn.ReLU(True),
        )
        blocks: list[nn.Module] = []
        ch = self.top
        for _ in range(ups - 1):
            blocks += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), norm(ch // 2, spatial=True), nn.ReLU(True)]
            ch //= 2  # side doubles each block
        blocks += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]  # (B, C, size, size)
        self.body = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        """classes: (B, num_classes) class weights (one-hot rows for pure classes) when conditional."""
        h = self.features(z, classes).view(z.shape[0], self.top, self.base, self.base)  # (B, top, base, base)
        return run_layers(self.body, h, classes)

    def features(self, z: torch.Tensor, classes: torch.Tensor | None = None) -> torch.Tensor:
        """An early feature layer (after the projection), for GANSpace-style directions."""
        if self.num_classes and classes is None:
            raise ValueError("this generator is class-conditional: give the class weights")
        if self.concat and classes is not None:  # concat implies classes: checked above
            z = torch.cat([z, classes.to(z.dtype)], dim=1)  # (B, latent + C)
        return run_layers(self.project, z, classes)


class DCGANDiscriminator(nn.Module):
    """With pack = m (PacGAN) the input is m images stacked along the channels."""

    def __init__(
        self,
        channels: int,
        image_size: int,
        width: int,
        activation: str = "leaky_relu",
        minibatch_std: bool = False,
        pack: int = 1,
        batch_norm: bool = True,
        num_classes: int = 0,
        conditional: str = "off",
        outputs: int = 1,
        dropout: float = 0.0,
    ):
        """outputs: 1 realness logit, or a semi-supervised D's K class logits (Salimans et al. 2016);
        dropout: after each hidden layer when > 0 (no layer is added at 0, so older checkpoints load)."""
        super().__init__()
        base, downs = _base_size(image_size)
        act = (lambda: nn.LeakyReLU(0.2, True)) if activation == "leaky_relu" else (lambda: nn.ReLU(True))
        self.num_classes = num_classes if conditional != "off" else 0
        self.concat = bool(self.num_classes) and conditional == "concat"
        inputs = channels * pack + (self.num_classes if self.concat else 0)
        drop = [SeededDropout(dropout)] if dropout > 0 else []
        layers: list[nn.Module] = [nn.Conv2d(inputs, width, 4, 2, 1), act(), *drop]  # (B, W, s/2, s/2)
        ch = width
        for _ in range(downs - 1):
            norm = [nn.BatchNorm2d(ch * 2)] if batch_norm else []
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=not batch_norm), *norm, act(), *drop]
            ch *= 2
        if minibatch_std:
            layers.append(MinibatchStd())  # (B, ch + 1, base, base)
            ch += 1
        self.body = nn.Sequential(*layers)  # (B, ch, base, base)
        self.head = nn.Linear(ch * base * base, outputs)
        self.class_head = (
            ClassHead(conditional, ch * base * base, num_classes) if self.num_classes and not self.concat else None
        )

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """(B,) realness logits; (B, 1 + C) with AC-GAN's class logits after them."""
        if self.num_classes and labels is None:
            raise ValueError("this discriminator is class-conditional: give the labels")
        if self.concat and labels is not None:  # concat implies labels: checked above
            x = torch.cat([x, label_maps(labels, self.num_classes, x)], dim=1)  # (B, C_img + classes, H, W)
        h = self.body(x).flatten(1)  # (B, F)
        if self.head.out_features > 1:
            class_logits: torch.Tensor = self.head(h)  # (B, K)
            return class_logits
        logit: torch.Tensor = self.head(h).squeeze(1)
        if self.class_head is None:
            return logit
        judged: torch.Tensor = self.class_head(h, logit, labels)
        return judged

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer (B, F) of an unconditional D, whose batch means feature matching compares."""
        features: torch.Tensor = self.body(x).flatten(1)
        return features
