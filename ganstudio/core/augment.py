"""Discriminator augmentation for small data: DiffAugment (Zhao et al. 2020) with an optional
adaptive strength in the spirit of ADA (Karras et al. 2020).

D overfits a few thousand images: it memorises them and its feedback to G turns to noise. Showing D
every image, real and generated alike, through random differentiable transforms makes memorising
harder, and since the transforms are differentiable G's gradient flows back through them. G's own
output is never augmented: samples, the grid, the explorer and the quality scores all call G
directly, and only the Trainer's D inputs pass through here.

"Identically" for real and fake means the same policy and the same distribution of transforms;
each image draws its own offset, factor and hole (as the reference implementation does), all from
the trainer's torch.Generator, so a resumed run draws the same ones.

The adaptive strength p is the chance that an image is augmented at all. Every ADJUST_INTERVAL steps
the overfitting signal r_t = E[sign(D(real))] over those steps moves p up when it is above the target
(D is sure of every real: memorising) and down when below, by an amount that lets p cross 0 to 1 in
ADJUST_IMAGES real images seen by D (k batches a step with k D steps; every rank's under torchrun, whose
ranks pool their signs so that they keep one p). p stays on the device, so steering it never syncs; the
cap keeps it from running away into leaking augmentations into G.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganstudio.core.config import TrainConfig

POLICIES = ("translation", "cutout", "brightness", "contrast", "saturation")
TRANSLATION_RATIO = 0.125  # shift up to 1/8 of the side, as in DiffAugment
CUTOUT_RATIO = 0.5  # a hole of half the side
# Four steps of r_t as ADA (its 4 minibatches): fewer make p chase the noise of one batch's signs,
# more make it react late to a D that starts to memorise within a short CPU run.
ADJUST_INTERVAL = 4
# ADA lets p cross 0 to 1 in 500k images; a few-minute CPU run sees ~150k, so p could never move.
ADJUST_IMAGES = 100_000


def translate(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image shifted by up to 1/8 of its side in x and y, the uncovered border filled with 0 (mid grey)."""
    n, _, h, w = x.shape
    sy, sx = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
    dy = torch.randint(-sy, sy + 1, (n, 1, 1), generator=generator, device=x.device)
    dx = torch.randint(-sx, sx + 1, (n, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    # Index into the image padded by one zero pixel: a source outside the image lands on the padding
    src_y = (rows + dy + 1).clamp(0, h + 1)
    src_x = (cols + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, (1, 1, 1, 1))
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, src_y, src_x].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A square hole of half the side (set to 0) at a random centre of each image; it may overlap the edge."""
    n, _, h, w = x.shape
    ch, cw = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=generator, device=x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    top, left = cy - ch // 2, cx - cw // 2
    hole = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~hole).unsqueeze(1).to(x.dtype)


def _factor(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device).to(x.dtype)


def brightness(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image shifted by a value in [-0.5, 0.5)."""
    return x + (_factor(x, generator) - 0.5)


def contrast(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image's spread around its mean scaled by a factor in [0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_factor(x, generator) + 0.5) + mean


def saturation(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each pixel's spread around its channel mean scaled by [0, 2): on one channel the mean is the pixel
    itself and nothing changes, so the config refuses it for grayscale data."""
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_factor(x, generator) * 2) + mean


TRANSFORMS = {
    "translation": translate,
    "cutout": cutout,
    "brightness": brightness,
    "contrast": contrast,
    "saturation": saturation,
}


@dataclass(frozen=True)
class AugmentSettings:
    """The config's augmentation fields, as the Augmenter needs them."""

    policies: tuple[str, ...]
    adaptive: bool
    target: float
    cap: float


class Augmenter:
    """Transforms what D sees; with `adaptive`, each image is augmented with probability p, steered by
    observe(real_logits) towards the target r_t."""

    @classmethod
    def for_run(cls, train: TrainConfig, device: torch.device) -> Augmenter:
        return cls(
            AugmentSettings(
                train.augment_policies,
                train.augment_adaptive,
                train.augment_target,
                train.augment_cap,
            ),
            device,
        )

    def __init__(self, settings: AugmentSettings, device: torch.device):
        self.settings = settings
        self.p = torch.zeros((), device=device)
        self._off = torch.full((), float("nan"), device=device)
        self._signs = torch.zeros((), device=device)
        self._seen = 0  # real images whose signs are in _signs since the last adjustment (a host count: no sync)
        self._steps = 0
        self.pool: Callable[[torch.Tensor], torch.Tensor] | None = None  # the sum over ranks, under torchrun

    @property
    def active(self) -> bool:
        return bool(self.settings.policies)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if not self.active:
            return x
        if not self.settings.adaptive:
            for name in self.settings.policies:
                x = TRANSFORMS[name](x, generator)
            return x
        for name in self.settings.policies:
            chosen = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device) < self.p
            x = torch.where(chosen, TRANSFORMS[name](x, generator), x)
        return x

    def observe(self, real_logits: torch.Tensor, images_per_logit: int = 1) -> None:
        """Adds one D step's real logits to r_t; called by D's step only (not an unrolled copy). A PacGAN
        D judges packs: each logit stands for images_per_logit images, counted as such."""
        if not (self.active and self.settings.adaptive):
            return
        self._signs = self._signs + images_per_logit * torch.sign(real_logits.detach().float()).sum()
        self._seen += images_per_logit * real_logits.numel()

    def end_step(self) -> None:
        """After a generator step: every ADJUST_INTERVAL steps, p moves by sign(r_t - target)."""
        if not (self.active and self.settings.adaptive) or not self._seen:
            return
        self._steps += 1
        if self._steps % ADJUST_INTERVAL:
            return
        signs, seen = torch.stack([self._signs, torch.full_like(self._signs, float(self._seen))])  # no host sync
        if self.pool is not None:
            signs, seen = self.pool(torch.stack([signs, seen]))
        change = seen / ADJUST_IMAGES
        self.p = (self.p + torch.sign(signs / seen - self.settings.target) * change).clamp(0.0, self.settings.cap)
        self._signs = torch.zeros_like(self._signs)
        self._seen = 0

    def reported_p(self) -> torch.Tensor:
        """p for the step's stats (NaN when not adaptive: the stat is left out of metrics.jsonl)."""
        if self.active and self.settings.adaptive:
            return self.p
        return self._off

    def state_dict(self) -> dict[str, float | int]:
        return {"p": float(self.p), "signs": float(self._signs), "seen": self._seen, "steps": self._steps}

    def load_state_dict(self, state: dict[str, float | int]) -> None:
        device = self.p.device
        self.p = torch.tensor(float(state["p"]), device=device)
        self._signs = torch.tensor(float(state["signs"]), device=device)
        self._seen, self._steps = int(state["seen"]), int(state["steps"])
