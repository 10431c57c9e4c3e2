"""Standard (torchvision Inception v3) FID, offered only when its weights are already on disk.

GAN Studio never downloads during training: the weights are looked up in torch hub's cache or
taken from a file the user names; `ganstudio eval --download-inception` is the one explicit way
to fetch them. The pool features (2048-d) are torchvision's port of the Google network, so the
figures are close to, not identical with, TF-Inception FIDs in papers.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.quality.errors import QualityError
from ganstudio.core.quality.inception_weights import find_inception_weights, hub_checkpoints_dir

INPUT_SIZE = 299
MAX_BYTES = 512 << 20  # torchvision's Inception v3 weights are about 104 MB


class InceptionError(QualityError):
    """Inception weights missing, unreadable or not downloadable."""


class InceptionFeatures(nn.Module):
    """Images in [-1, 1] (any size, 1 or 3 channels) -> 2048-d pool features."""

    num_features = 2048

    def __init__(self, state_dict: dict[str, torch.Tensor]) -> None:
        from torchvision.models import inception_v3

        super().__init__()
        net = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=False)
        net.load_state_dict(state_dict)
        net.fc = nn.Identity()
        self.net = net.eval().requires_grad_(False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        images = images.float()
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        images = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        features: torch.Tensor = self.net(images)  # the Google weights expect [-1, 1] inputs, which G makes
        return features


FIRST_LAYER = ("Conv2d_1a_3x3.conv.weight", (32, 3, 3, 3))  # a name and shape torchvision's weights hold


def check_inception_file(path: str | Path) -> None:
    """Raises InceptionError unless path holds Inception v3 weights: read before a run trains, so a wrong file
    is refused then, not at its first quality check minutes later. Reading it whole takes a second, so a file
    found good is not read again while its size and time are unchanged (the CLI and the run both ask)."""
    try:
        found = Path(path).stat()
    except OSError as exc:
        raise InceptionError(f"cannot read {path}: {exc.strerror}") from None
    _check_weights(str(Path(path).resolve()), found.st_size, found.st_mtime_ns)


def _check_unpacked_size(path: str | Path) -> None:
    """A file torch.save wrote is a zip of stored entries; one of compressed entries, or larger than any
    Inception file, would be unpacked whole in memory by torch.load (the path may come from a run's config)."""
    if not Path(path).is_file():  # a pipe would block the read for ever
        raise InceptionError(f"{path} is not an Inception v3 weights file (not a regular file)")
    if not zipfile.is_zipfile(path):
        return  # torch's older format: a pickle, read as it is
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InceptionError(f"{path} is not an Inception v3 weights file (torch cannot read it as weights)") from None
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries) or sum(e.file_size for e in entries) > MAX_BYTES:
        raise InceptionError(f"{path} is not an Inception v3 weights file (it would unpack to more than one holds)")


@functools.lru_cache(maxsize=4)
def _check_weights(path: str, _size: int, _mtime_ns: int) -> None:
    _check_unpacked_size(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets one clear message
        raise InceptionError(f"{path} is not an Inception v3 weights file (torch cannot read it as weights)") from None
    name, shape = FIRST_LAYER
    if (
        not isinstance(state, dict)
        or not isinstance(state.get(name), torch.Tensor)
        or tuple(state[name].shape) != shape
    ):
        raise InceptionError(f"{path} is not an Inception v3 weights file (no {name} of shape {shape})")


def load_inception(path: str | Path, device: str | torch.device = "cpu") -> InceptionFeatures:
    _check_unpacked_size(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        return InceptionFeatures(state).to(device)
    except Exception as exc:  # noqa: BLE001 - any unusable file gets one clear message
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__  # a KeyError of '' says nothing
        raise InceptionError(f"{path} is not an Inception v3 weights file: {reason}") from None


def download_inception() -> Path:
    """Fetches torchvision's Inception v3 weights into torch hub's cache (the user asked for it)."""
    from torchvision.models import Inception_V3_Weights

    try:
        Inception_V3_Weights.IMAGENET1K_V1.get_state_dict(progress=True)
    except OSError as exc:
        raise InceptionError(
            f"could not download the Inception v3 weights ({exc}); "
            f"copy inception_v3_google-*.pth into {hub_checkpoints_dir()} by hand"
        ) from None
    path, reason = find_inception_weights()
    if path is None:
        raise InceptionError(reason)
    return path
