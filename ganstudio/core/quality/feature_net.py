"""The Fashion-MNIST classifier whose penultimate layer is GAN Studio's feature space.

Inception features need weights we cannot download here; a small classifier trained on the
60,000-image training split gives a feature space that knows what clothes look like, ships
with the package (well under 2 MB) and runs fast enough on a CPU to score a run while it trains.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.paths import bundled
from ganstudio.core.quality.errors import QualityError

FEATURE_SIZE = 28
WEIGHTS_NAME = "fashion-features.pt"
CARD_NAME = "fashion-features.json"


class FeatureNetError(QualityError):
    """The shipped feature network is missing or not the file that was recorded."""


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class FeatureNet(nn.Module):
    """A five-conv classifier; features() is the 128-d penultimate layer the metrics use."""

    num_features = 128

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(1, 32),
            _conv(32, 32),
            nn.MaxPool2d(2),
            _conv(32, 64),
            _conv(64, 64),
            nn.MaxPool2d(2),
            _conv(64, 128),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.hidden = nn.Sequential(nn.Linear(128, self.num_features), nn.ReLU())
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(self.num_features, 10)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self.hidden(self.body(prepare_images(images)))
        return features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.dropout(self.features(images)))
        return logits


def prepare_images(images: torch.Tensor) -> torch.Tensor:
    """Any generator output (N, C, H, W) in [-1, 1] -> grayscale 28x28 floats in [-1, 1].

    RGB is reduced to luminance and other sizes are resized, so every model can be scored; only
    Fashion-MNIST-like images land where the features mean something.
    """
    images = images.float()
    if images.shape[1] == 3:
        weights = torch.tensor([0.299, 0.587, 0.114], device=images.device).view(1, 3, 1, 1)
        images = (images * weights).sum(dim=1, keepdim=True)
    elif images.shape[1] != 1:
        raise ValueError(f"expected 1 or 3 channels, got {images.shape[1]}")
    if images.shape[-2:] != (FEATURE_SIZE, FEATURE_SIZE):
        images = F.interpolate(
            images, size=(FEATURE_SIZE, FEATURE_SIZE), mode="bilinear", align_corners=False, antialias=True
        )
    return images


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_weights() -> tuple[Path, dict[str, Any]]:
    folder = bundled("feature-net")
    weights = Path(str(folder.joinpath(WEIGHTS_NAME)))
    card_path = Path(str(folder.joinpath(CARD_NAME)))
    if not weights.is_file() or not card_path.is_file():
        raise FeatureNetError(
            f"the feature network is missing ({weights}); reinstall GAN Studio or rebuild it with "
            "python -m ganstudio.core.quality.train_feature_net"
        )
    return weights, json.loads(card_path.read_text())


def load_feature_net(
    weights: Path | None = None, sha256: str | None = None, device: str | torch.device = "cpu"
) -> FeatureNet:
    """Load the shipped weights (or the given file), refusing any file whose SHA-256 differs."""
    if weights is None:
        weights, card = shipped_weights()
        sha256 = card["sha256"]
    actual = sha256_of(Path(weights))
    if sha256 is not None and actual != sha256:
        raise FeatureNetError(
            f"{weights} has SHA-256 {actual[:16]}…, expected {sha256[:16]}…: the file was changed or "
            "damaged; reinstall GAN Studio"
        )
    net = FeatureNet()
    try:
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear message
        raise FeatureNetError(f"{weights} is not a feature-network file: {exc}") from None
    return net.to(device).eval().requires_grad_(False)
