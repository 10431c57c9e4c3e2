"""The pieces that make G and D class-conditional.

G takes its class as class weights c (B, C): one-hot rows for a pure class, a blend of two rows for
class morphing. Every class embedding is read as c @ table, so a one-hot row gives exactly that
class's entries and a morph's endpoints are the pure classes bit for bit (one code path for both).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def one_hot(labels: torch.Tensor, num_classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(B,) class indices -> (B, C) class weights."""
    return F.one_hot(labels.long(), num_classes).to(dtype)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose scale and shift come from the class (de Vries et al. 2017; Miyato & Koyama 2018).

    Each class has its own row of scales (starting at 1) and shifts (starting at 0), so at
    initialisation it is plain BatchNorm and classes drift apart only as training needs.
    """

    def __init__(self, features: int, num_classes: int, spatial: bool):
        super().__init__()
        self.norm: nn.Module = (nn.BatchNorm2d if spatial else nn.BatchNorm1d)(features, affine=False)
        self.scale = nn.Parameter(torch.ones(num_classes, features))  # (C, F)
        self.shift = nn.Parameter(torch.zeros(num_classes, features))  # (C, F)

    def forward(self, x: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        h: torch.Tensor = self.norm(x)
        c = classes.to(h.dtype)
        scale, shift = c @ self.scale.to(h.dtype), c @ self.shift.to(h.dtype)  # (B, F)
        if h.dim() == 4:
            scale, shift = scale[:, :, None, None], shift[:, :, None, None]
        return h * scale + shift


def run_layers(layers: nn.Sequential, h: torch.Tensor, classes: torch.Tensor | None) -> torch.Tensor:
    """A Sequential whose ConditionalBatchNorm layers also get the class weights."""
    for layer in layers:
        h = layer(h, classes) if isinstance(layer, ConditionalBatchNorm) else layer(h)
    return h


class ClassHead(nn.Module):
    """What a conditional D adds to its realness logit, from its features h (B, F) and the labels.

    projection: <embed(y), h> added to the logit (Miyato & Koyama 2018).
    acgan: an auxiliary classifier's C logits returned beside it (Odena et al. 2017).
    concat needs no head: the labels went in with the input.
    """

    def __init__(self, kind: str, features: int, num_classes: int):
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding(num_classes, features) if kind == "projection" else None  # (C, F)
        self.classifier = nn.Linear(features, num_classes) if kind == "acgan" else None

    def forward(self, h: torch.Tensor, logit: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(B,) logits, or (B, 1 + C) for AC-GAN: the realness logit then the class logits."""
        if self.embed is not None:
            embedded: torch.Tensor = self.embed(labels)
            return logit + (embedded.to(h.dtype) * h).sum(dim=1)
        if self.classifier is not None:
            return torch.cat([logit[:, None], self.classifier(h)], dim=1)
        return logit


def label_maps(labels: torch.Tensor, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    """One-hot labels shaped like extra input channels (B, C, H, W) or features (B, C), for concatenation."""
    c = one_hot(labels, num_classes, like.dtype)
    if like.dim() == 4:
        return c[:, :, None, None].expand(-1, -1, like.shape[2], like.shape[3])
    return c


def split_judgement(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D's output as (realness logits (B,), class logits (B, C) or None): AC-GAN's D returns both at once."""
    if out.dim() == 2:
        return out[:, 0], out[:, 1:]
    return out, None
