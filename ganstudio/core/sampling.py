"""A generator loaded from a checkpoint, for sampling and exploring without training state.

A conditional generator takes (z, class). The class goes in as class weights: a one-hot row for a
pure class, or class_mix(a, b, t) for class morphing (the class embedding interpolated with z
fixed). Both go through the same call, so a morph at t = 0 or 1 is the pure class bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ganstudio.core.checkpoint import (
    CheckpointError,
    class_names_of,
    load_checkpoint,
    load_module_state,
)
from ganstudio.core.config import ConfigError, RunConfig, saved_config
from ganstudio.core.data.classes import class_names_problem
from ganstudio.core.models import build_models
from ganstudio.core.models.conditional import one_hot
from ganstudio.core.trainer import to_uint8


@dataclass
class GeneratorSnapshot:
    """An eval-mode generator that no optimizer touches: safe to run from any thread."""

    generator: nn.Module
    config: RunConfig
    step: int
    device: torch.device
    class_names: tuple[str, ...] = field(default=())  # empty for an unconditional generator

    @property
    def is_toy(self) -> bool:
        return self.config.data.is_toy

    @property
    def latent_dim(self) -> int:
        return self.config.model.latent_dim

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_conditional(self) -> bool:
        return bool(self.class_names)

    def class_weights(self, y: torch.Tensor | np.ndarray | list[int] | int, n: int) -> torch.Tensor:
        """(n, C) one-hot class weights for class indices y (one index for all n, or one per latent)."""
        labels = torch.as_tensor(y, dtype=torch.long).reshape(-1)
        if labels.numel() == 1:
            labels = labels.expand(n)
        if labels.numel() != n or bool(((labels < 0) | (labels >= self.num_classes)).any()):
            raise ValueError(f"need {n} class indices from 0 to {self.num_classes - 1}")
        return one_hot(labels, self.num_classes)

    @torch.no_grad()
    def generate(
        self, z: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray | list[int] | int | None = None
    ) -> torch.Tensor:
        """G(z), or G(z, y) for a conditional generator (y: class indices, required then)."""
        latents = torch.as_tensor(z).to(torch.float32)
        if not self.is_conditional:
            if y is not None:
                raise ValueError("this generator is not class-conditional")
            images: torch.Tensor = self.generator(latents.to(self.device))
            return images.float().cpu()
        if y is None:
            raise ValueError("this generator is class-conditional: give a class for each latent")
        return self.generate_mixed(latents, self.class_weights(y, latents.shape[0]))

    @torch.no_grad()
    def generate_mixed(self, z: torch.Tensor | np.ndarray, class_weights: torch.Tensor | np.ndarray) -> torch.Tensor:
        """G(z) with the class embedding blended by class_weights: (C,) for every latent or (N, C);
        a one-hot row is a pure class (see class_mix)."""
        latents = torch.as_tensor(z).to(torch.float32)
        weights = torch.as_tensor(class_weights).to(torch.float32)
        if weights.dim() == 1:
            weights = weights.expand(latents.shape[0], -1)
        if tuple(weights.shape) != (latents.shape[0], self.num_classes):
            raise ValueError(f"class weights must be ({latents.shape[0]}, {self.num_classes})")
        images: torch.Tensor = self.generator(latents.to(self.device), weights.to(self.device))
        return images.float().cpu()

    def images(
        self, z: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray | list[int] | int | None = None
    ) -> np.ndarray:
        """uint8 (N, C, H, W) images (or float points for toy data) for z, and classes y when conditional."""
        return to_uint8(self.generate(z, y))

    def images_mixed(self, z: torch.Tensor | np.ndarray, class_weights: torch.Tensor | np.ndarray) -> np.ndarray:
        return to_uint8(self.generate_mixed(z, class_weights))


def class_mix(a: int, b: int, t: float, num_classes: int) -> np.ndarray:
    """(C,) float32 class weights (1 - t) * onehot(a) + t * onehot(b): class morphing from a (t = 0) to
    b (t = 1). The endpoints are exactly one-hot, so they give exactly the pure classes' images."""
    weights = np.zeros(num_classes, dtype=np.float32)
    weights[a] += np.float32(1.0 - t)
    weights[b] += np.float32(t)
    return weights


def seeded_latents(seed: int, n: int, latent_dim: int) -> torch.Tensor:
    """The same seed gives the same latents on every machine (drawn on the CPU)."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def snapshot_from_state(state: dict[str, Any], device: str | torch.device = "cpu") -> GeneratorSnapshot:
    try:
        config = saved_config(state["config"])
    except (ConfigError, KeyError) as exc:
        raise CheckpointError(f"the checkpoint's config is not usable: {exc}") from None
    problem = class_names_problem(state.get("class_names", []))
    if problem:
        raise CheckpointError(f"the checkpoint is not usable: {problem}")
    names = class_names_of(state)
    from ganstudio.core.footprint import check_footprint

    try:
        check_footprint(config, torch.device("cpu"), training=False, num_classes=len(names))
    except ConfigError as exc:
        raise CheckpointError(f"the checkpoint's model is too big: {exc}") from None
    if config.model.is_conditional != bool(names):
        raise CheckpointError(
            "the checkpoint's class names do not match its config: a conditional model "
            "records its classes, an unconditional one none"
        )
    generator, _ = build_models(config, num_classes=len(names))
    ema = "generator_ema" in state  # the EMA copy when there is one
    load_module_state(
        generator, state["generator_ema" if ema else "generator"], "EMA generator" if ema else "generator"
    )
    generator.to(device).eval().requires_grad_(False)
    return GeneratorSnapshot(generator, config, int(state.get("step", 0)), torch.device(device), names)


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> GeneratorSnapshot:
    """Refuses a generator whose weights are not finite (a run that went NaN and was saved): its images would
    be blank, and scoring them crashes LAPACK."""
    snapshot = snapshot_from_state(load_checkpoint(path, map_location="cpu"), device)
    weights = snapshot.generator.state_dict().values()
    if not all(torch.isfinite(value).all() for value in weights if value.is_floating_point()):
        raise CheckpointError(f"{path}: its generator's weights are not all finite numbers (NaN or Inf)")
    return snapshot
