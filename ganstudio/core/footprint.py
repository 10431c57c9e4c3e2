"""How much memory a config needs, estimated before anything is allocated.

A config can pass every range check and still ask for more than the machine has (DCGAN width
2,048 at 64 px, a batch of 65,536): allocating it would take the machine down with it, or die
minutes later with an allocator error. The models are built on PyTorch's meta device, which has
shapes but no storage, so the estimate costs milliseconds and no memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from ganstudio.core.config import ConfigError, RunConfig
from ganstudio.core.models import build_models, sample_shape

MAX_PARAMETERS = 200_000_000  # G + D; checkpoint.MAX_CHECKPOINT_BYTES is sized for this
USABLE_FRACTION = 0.8  # of the device's memory; the rest is the OS, the window, the data
FLOAT_BYTES = 4
TRAINING_STATE_COPIES = 4  # weights, gradients and Adam's two moments
ACTIVATION_COPIES = 6  # D on real and fake, G's step through D, each kept for its backward


@dataclass(frozen=True)
class Footprint:
    generator_parameters: int
    discriminator_parameters: int
    activations_per_sample: int  # floats that G's and D's layers output for one sample

    @property
    def parameters(self) -> int:
        return self.generator_parameters + self.discriminator_parameters

    def training_bytes(self, batch: int, ema: bool) -> int:
        state = self.parameters * TRAINING_STATE_COPIES + (self.generator_parameters if ema else 0)
        return FLOAT_BYTES * (state + ACTIVATION_COPIES * batch * self.activations_per_sample)

    def sampling_bytes(self, batch: int) -> int:
        return FLOAT_BYTES * (self.generator_parameters + batch * self.activations_per_sample)


def _leaf_outputs(module: nn.Module, counts: list[int]) -> list[RemovableHandle]:
    def record(_module: nn.Module, _inputs: object, output: object) -> None:
        if isinstance(output, torch.Tensor):
            counts.append(output.numel())

    return [m.register_forward_hook(record) for m in module.modules() if not list(m.children())]


def estimate(config: RunConfig, num_classes: int = 0) -> Footprint:
    """num_classes: a conditional model's class count, whose embedding tables grow G and D with it."""
    with torch.device("meta"):
        g, d = build_models(config, init=False, num_classes=num_classes)
    classes = num_classes if config.model.is_conditional else 0
    counts: list[int] = []
    hooks = _leaf_outputs(g, counts) + _leaf_outputs(d, counts)
    pack = config.model.pack
    try:
        with torch.no_grad():
            z = torch.zeros(2 * pack, config.model.latent_dim, device="meta")
            weights = torch.zeros(2 * pack, classes, device="meta") if classes else None
            x = g(z, weights) if classes else g(z)
            x = x.reshape(2 * pack, *sample_shape(config))
            packed = x.reshape(2, pack * x.shape[1], *x.shape[2:])  # PacGAN: samples side by side, as the trainer does
            labels = torch.zeros(2, dtype=torch.long, device="meta")
            d(packed, labels) if classes else d(packed)
    finally:
        for hook in hooks:
            hook.remove()
    return Footprint(
        sum(p.numel() for p in g.parameters()), sum(p.numel() for p in d.parameters()), sum(counts) // (2 * pack)
    )


def device_memory(device: torch.device) -> int:
    """Bytes the device has in all: the GPU's memory, or the machine's RAM for the CPU and MPS."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf (Windows): no refusal on a guess
        return 1 << 62


def _gb(n: int) -> str:
    return f"{n / 2**30:,.1f} GB"


def check_footprint(config: RunConfig, device: torch.device, training: bool = True, num_classes: int = 0) -> Footprint:
    """Raises ConfigError naming the fields to lower when the run cannot fit this device."""
    footprint = estimate(config, num_classes)
    if footprint.parameters > MAX_PARAMETERS:
        raise ConfigError(
            [
                (
                    "model.width",
                    f"G and D would have {footprint.parameters / 1e6:,.0f} M parameters, over "
                    f"GAN Studio's limit of {MAX_PARAMETERS / 1e6:,.0f} M; lower the width",
                )
            ]
        )
    if training:
        need = footprint.training_bytes(config.train.batch_size, config.train.ema_decay > 0)
        have = device_memory(device)
        if need > USABLE_FRACTION * have:
            raise ConfigError(
                [
                    (
                        "train.batch_size",
                        f"training would need about {_gb(need)} of memory and "
                        f"{device.type} has {_gb(have)}; lower the batch size, width or image size",
                    )
                ]
            )
    return footprint
