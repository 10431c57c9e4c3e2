"""The K+1-class discriminator loss of Salimans et al. (2016), with the "fake" logit fixed at 0.

D outputs K class logits l; with Z = sum exp(l), D(x) = Z / (Z + 1) = sigmoid(logsumexp(l)), so the
realness logit is logsumexp(l) and the usual real/fake terms apply to it unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganstudio.core import losses


def realness(class_logits: torch.Tensor) -> torch.Tensor:
    """(B, K) class logits -> (B,) realness logits logsumexp(l), whose sigmoid is D(x) = Z / (Z + 1)."""
    return torch.logsumexp(class_logits, dim=1)


def semi_d_loss(
    labelled_logits: torch.Tensor,
    targets: torch.Tensor,
    unlabelled_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    smoothing: float = 0.0,
) -> torch.Tensor:
    """Cross-entropy over the K real classes on the labelled batch, plus -log D(x) on the unlabelled reals
    and -log(1 - D(G(z))) on the fakes (one-sided label smoothing as in the other BCE losses)."""
    supervised = F.cross_entropy(labelled_logits, targets)
    unsupervised = losses.d_loss("non-saturating", realness(unlabelled_logits), realness(fake_logits), smoothing)
    return supervised + unsupervised
