"""A generator loaded from a checkpoint, for sampling and exploring without training state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganstudio.core.checkpoint import CheckpointError, load_checkpoint, load_module_state
from ganstudio.core.config import ConfigError, RunConfig, check
from ganstudio.core.models import build_models
from ganstudio.core.trainer import to_uint8


@dataclass
class GeneratorSnapshot:
    """An eval-mode generator that no optimizer touches: safe to run from any thread."""

    generator: nn.Module
    config: RunConfig
    step: int
    device: torch.device

    @property
    def is_toy(self) -> bool:
        return self.config.data.is_toy

    @property
    def latent_dim(self) -> int:
        return self.config.model.latent_dim

    @torch.no_grad()
    def generate(self, z: torch.Tensor | np.ndarray) -> torch.Tensor:
        return self.generator(torch.as_tensor(z).to(self.device, torch.float32)).float().cpu()

    def images(self, z: torch.Tensor | np.ndarray) -> np.ndarray:
        return to_uint8(self.generate(z))


def seeded_latents(seed: int, n: int, latent_dim: int) -> torch.Tensor:
    """The same seed gives the same latents on every machine (drawn on the CPU)."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def snapshot_from_state(state: dict, device: str | torch.device = "cpu") -> GeneratorSnapshot:
    try:
        config = check(RunConfig.from_dict(state["config"]))
    except (ConfigError, KeyError) as exc:
        raise CheckpointError(f"the checkpoint's config is not usable: {exc}") from None
    from ganstudio.core.footprint import check_footprint

    check_footprint(config, torch.device("cpu"), training=False)
    generator, _ = build_models(config)
    ema = "generator_ema" in state  # the EMA copy when there is one
    load_module_state(generator, state["generator_ema" if ema else "generator"], "EMA generator" if ema else "generator")
    generator.to(device).eval().requires_grad_(False)
    return GeneratorSnapshot(generator, config, int(state.get("step", 0)), torch.device(device))


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> GeneratorSnapshot:
    return snapshot_from_state(load_checkpoint(path, map_location="cpu"), device)
