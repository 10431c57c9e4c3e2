"""Classification accuracy score (Ravuri & Vinyals 2019): train a classifier only on generated
images (with the classes they were generated for), test it on real ones.

A conditional generator whose classes look right but lack their real variety gives a classifier
that fails on real images, which label accuracy (a classifier trained on real data, judging
fakes) cannot see. The same recipe trained on as many real images gives the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.quality.feature_net import prepare_images

EPOCHS = 3
BATCH = 128
SEED = 31


@dataclass
class CasResult:
    cas: float  # accuracy on real test images of the classifier trained on generated ones
    real_baseline: float  # the same classifier recipe trained on real images, same test images
    train_images: int
    test_images: int


def small_classifier(num_classes: int) -> nn.Module:
    """Two small conv blocks and a linear head on 28x28 grayscale: a CAS of 5,000 images must take
    about a minute on a 2-core CPU, and the score compares two copies of one recipe, not records."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 32, 7, 7)
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64),
        nn.ReLU(),
        nn.Linear(64, num_classes),
    )


def train_classifier(
    images: torch.Tensor, labels: torch.Tensor, num_classes: int, device: torch.device, epochs: int = EPOCHS
) -> nn.Module:
    """images in [-1, 1] (N, C, H, W); a fixed seed, so the same images give the same classifier."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        net = small_classifier(num_classes).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    order_rng = torch.Generator().manual_seed(SEED)
    x, y = prepare_images(images).cpu(), labels.long().cpu()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=order_rng)
        for i in range(0, len(x), BATCH):
            idx = order[i : i + BATCH]
            loss = F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def accuracy(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    x = prepare_images(images)
    predicted = torch.cat([net(x[i : i + 512].to(device)).argmax(dim=1).cpu() for i in range(0, len(x), 512)])
    return float((predicted == labels.long().cpu()).double().mean())


def classification_accuracy_score(
    generate: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    latent_dim: int,
    real_images: torch.Tensor,
    real_labels: torch.Tensor,
    num_classes: int,
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: Callable[[str], None] = lambda _line: None,
    epochs: int = EPOCHS,
) -> CasResult:
    """Real images (in [-1, 1]) split in two halves: the first trains the reference classifier, the second
    tests both. As many generated images as the reference's training half, classes balanced."""
    dev = torch.device(device)
    order = torch.randperm(len(real_images), generator=torch.Generator().manual_seed(SEED))
    half = len(order) // 2
    train_idx, test_idx = order[:half], order[half:]
    test_x, test_y = real_images[test_idx], real_labels[test_idx]
    z = torch.randn(half, latent_dim, generator=torch.Generator().manual_seed(seed))
    fake_labels = torch.arange(half) % num_classes
    fake = torch.cat([generate(z[i : i + 500], fake_labels[i : i + 500]).cpu() for i in range(0, half, 500)])
    progress(f"CAS: training a classifier on {half:,} generated images...")
    cas = accuracy(train_classifier(fake, fake_labels, num_classes, dev, epochs), test_x, test_y, dev)
    progress(f"CAS: the same classifier trained on {half:,} real images...")
    baseline = accuracy(
        train_classifier(real_images[train_idx], real_labels[train_idx], num_classes, dev, epochs), test_x, test_y, dev
    )
    return CasResult(cas, baseline, half, len(test_idx))
