"""D as a classifier on images it never trained on: the one scoring path for the run, the baseline and eval."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ganstudio.core.models.eval_mode import eval_mode
from ganstudio.core.semi.report import ClassifierReport

SCORE_BATCH = 500


@torch.no_grad()
def predict(D: nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """(N, K) class logits (float, CPU) for uint8 images (N, C, H, W), in eval mode: no dropout, and D's
    training mode as it was afterwards."""
    with eval_mode(D):
        chunks = [
            D(chunk.to(device).float().div_(127.5).sub_(1.0)).float().cpu() for chunk in images.split(SCORE_BATCH)
        ]
    return torch.cat(chunks)


def score_classifier(
    D: nn.Module,
    images: torch.Tensor,
    labels: np.ndarray,
    class_names: tuple[str, ...],
    split: str,
    device: torch.device,
) -> ClassifierReport:
    predicted = predict(D, images, device).argmax(dim=1).numpy()
    return ClassifierReport.from_predictions(predicted, labels, class_names, split)
