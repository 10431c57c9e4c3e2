"""The K+1-class discriminator loss of Salimans et al. (2016), with the "fake" logit fixed at 0.

D outputs K class logits l; with Z = sum exp(l), D(x) = Z / (Z + 1) = sigmoid(logsumexp(l)), so the
realness logit is logsumexp(l) and the usual real/fake terms apply to it unchanged.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ganstudio.core import losses


def realness(class_logits: torch.Tensor) -> torch.Tensor:
    """(B, K) class logits -> (B,) realness logits logsumexp(l), whose sigmoid is D(x) = Z / (Z + 1)."""
    return torch.logsumexp(class_logits, dim=1)


def class_imbalance(class_logits: torch.Tensor) -> torch.Tensor:
    """KL(m || uniform) of the batch's mean class guess m: 0 when D spreads the batch evenly over the K
    classes, log K when it gives every image to one. CatGAN (Springenberg 2016) maximises the entropy of m
    on real data, the same thing up to the constant log K."""
    mean = F.softmax(class_logits, dim=1).mean(0)
    return math.log(mean.numel()) + (mean * mean.clamp_min(1e-12).log()).sum()


def semi_d_loss(
    labelled_logits: torch.Tensor,
    targets: torch.Tensor,
    unlabelled_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    smoothing: float = 0.0,
    balance: float = 0.0,
) -> torch.Tensor:
    """Cross-entropy over the K real classes on the labelled batch, plus -log D(x) on the unlabelled reals
    and -log(1 - D(G(z))) on the fakes (one-sided label smoothing as in the other BCE losses), plus
    `balance` times the unlabelled batch's class imbalance."""
    supervised = F.cross_entropy(labelled_logits, targets)
    unsupervised = losses.d_loss("non-saturating", realness(unlabelled_logits), realness(fake_logits), smoothing)
    if balance:
        unsupervised = unsupervised + balance * class_imbalance(unlabelled_logits)
    return supervised + unsupervised
