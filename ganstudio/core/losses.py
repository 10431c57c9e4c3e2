"""GAN loss families and penalties on discriminator outputs, each a small pure function.

D's loss is the sum of its real and fake terms, so at the 2014 equilibrium (D = 1/2
everywhere) the minimax and non-saturating families report 2 ln 2.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ganstudio.core import stats
from ganstudio.core.sections.loss import CRITIC_LOSSES

EQUILIBRIUM_D_LOSS = stats.EQUILIBRIUM_D_LOSS  # D's loss when D = 1/2 everywhere: 2 ln 2
BCE_LOSSES = ("minimax", "non-saturating")


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """D's loss; `smoothing` is one-sided label smoothing (real target 1 - s; Salimans et al. 2016)."""
    if kind in BCE_LOSSES:
        # -[(1-s) log D(x) + s log(1 - D(x))] - log(1 - D(G(z))), written with softplus for stability
        real = (1 - smoothing) * F.softplus(-real_logits) + smoothing * F.softplus(real_logits)
        return real.mean() + F.softplus(fake_logits).mean()
    if kind == "least-squares":
        return 0.5 * ((real_logits - (1 - smoothing)) ** 2).mean() + 0.5 * (fake_logits**2).mean()
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if kind in ("wgan", "wgan-gp"):
        return fake_logits.mean() - real_logits.mean()
    raise ValueError(f"unknown loss {kind!r}")


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 - D(G(z))), which G minimises
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()  # -log D(G(z))
    if kind == "least-squares":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    if kind in CRITIC_LOSSES:
        return -fake_logits.mean()
    raise ValueError(f"unknown loss {kind!r}")


def d_output(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """What the plots call D(x): a probability for BCE losses, the raw score otherwise."""
    return torch.sigmoid(logits) if kind in BCE_LOSSES else logits


def gradient_penalty(
    D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E[(||grad D(x_hat)|| - 1)^2] on random interpolates x_hat."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=generator, device=real.device)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norms: torch.Tensor = grad.flatten(1).norm(dim=1)
    return (norms - 1).pow(2).mean()


def r1_penalty(D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[||grad D(x)||^2] on real data; the trainer scales it by gamma / 2."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def cross_entropy(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """AC-GAN's class term: how badly the auxiliary classifier names the class."""
    return F.cross_entropy(class_logits, labels)


def auxiliary_class_loss(real_classes: torch.Tensor, fake_classes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """AC-GAN's D term (Odena et al. 2017): classify both reals and fakes as the class they carry.
    Rewarding G for fakes that are easy to classify is what narrows each class's variety."""
    return F.cross_entropy(real_classes, labels) + F.cross_entropy(fake_classes, labels)


def feature_matching(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """G's feature-matching loss (Salimans et al. 2016): ||mean f(x) - mean f(G(z))||², the squared distance
    between the batch means of D's hidden features on real and generated images, so G matches the data's
    statistics rather than chasing whatever fools the current D."""
    return (real_features.mean(dim=0) - fake_features.mean(dim=0)).pow(2).sum()
