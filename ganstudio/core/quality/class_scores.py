"""Scores of a class-conditional generator in the shipped feature space.

Label accuracy asks the shipped Fashion-MNIST classifier which class each generated image is; it
means something only when the generator's classes are that classifier's ten. Intra-FD is the
Fréchet distance within each class (fakes of class c against reals of class c), so a model that
draws good images of the wrong class is not excused by a good overall FD.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganstudio.core.data.classes import FASHION_CLASSES

MIN_CLASS_SAMPLES = 20  # fewer in a class and its Fréchet distance is mostly noise: not reported


@dataclass
class ClassScores:
    label_accuracy: float | None  # None when the classes are not the classifier's
    real_label_accuracy: float | None  # the same classifier on the real images compared against
    class_label_accuracy: dict[str, float]
    intra_fd: float | None  # mean over the classes that have enough samples
    class_intra_fd: dict[str, float]


def classifier_knows(class_names: tuple[str, ...]) -> bool:
    """The shipped classifier names exactly these classes, in this order."""
    return tuple(class_names) == FASHION_CLASSES


def predicted_classes(logits: torch.Tensor) -> torch.Tensor:
    return logits.argmax(dim=1)


def accuracy_by_class(
    predicted: torch.Tensor, labels: torch.Tensor, class_names: tuple[str, ...]
) -> tuple[float, dict[str, float]]:
    """Overall share of correct predictions, and the share within each class that has samples."""
    correct = (predicted == labels).double()
    per_class = {name: float(correct[labels == c].mean()) for c, name in enumerate(class_names) if (labels == c).any()}
    return float(correct.mean()), per_class


def gaussian_frechet(real: torch.Tensor, fake: torch.Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to two feature sets, through two symmetric
    eigendecompositions: tr sqrt(S1 S2) = sum sqrt(eig(S1^1/2 S2 S1^1/2)). The same number as
    torchmetrics' FID but a hundred times faster at 128 features, which ten classes per evaluation
    during training need."""
    real, fake = real.double(), fake.double()
    mu = real.mean(0) - fake.mean(0)
    s1, s2 = torch.cov(real.T), torch.cov(fake.T)
    values, vectors = torch.linalg.eigh(s1)
    root = vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T  # S1^1/2
    cross = torch.linalg.eigvalsh(root @ s2 @ root).clamp_min(0).sqrt().sum()
    return float(mu @ mu + s1.trace() + s2.trace() - 2 * cross)


def intra_frechet(
    real: torch.Tensor,
    real_labels: torch.Tensor,
    fake: torch.Tensor,
    fake_labels: torch.Tensor,
    class_names: tuple[str, ...],
) -> dict[str, float]:
    """Fréchet distance within each class that has MIN_CLASS_SAMPLES on both sides."""
    out = {}
    for c, name in enumerate(class_names):
        r, f = real[real_labels == c], fake[fake_labels == c]
        if len(r) >= MIN_CLASS_SAMPLES and len(f) >= MIN_CLASS_SAMPLES:
            out[name] = gaussian_frechet(r, f)
    return out


def class_scores(
    real_features: torch.Tensor,
    real_labels: torch.Tensor,
    real_logits: torch.Tensor | None,
    fake_features: torch.Tensor,
    fake_labels: torch.Tensor,
    fake_logits: torch.Tensor | None,
    class_names: tuple[str, ...],
) -> ClassScores:
    """Every class score from precomputed features (and classifier logits when the classifier knows the classes)."""
    accuracy: float | None = None
    real_accuracy: float | None = None
    per_class: dict[str, float] = {}
    if real_logits is not None and fake_logits is not None:
        accuracy, per_class = accuracy_by_class(predicted_classes(fake_logits), fake_labels, class_names)
        real_accuracy, _ = accuracy_by_class(predicted_classes(real_logits), real_labels, class_names)
    intra = intra_frechet(real_features, real_labels, fake_features, fake_labels, class_names)
    mean_intra = sum(intra.values()) / len(intra) if intra else None
    return ClassScores(accuracy, real_accuracy, per_class, mean_intra, intra)
