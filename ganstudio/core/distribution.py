"""What the distribution lab draws for a toy model: densities, D over the plane, G's gradient field.

Computed in the training thread (it needs D, which the window never touches) and sent as
plain numpy arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ganstudio.core import losses
from ganstudio.core.distribution_frame import DistributionFrame
from ganstudio.core.models.mlp import MLPGenerator

if TYPE_CHECKING:
    from ganstudio.core.trainer import Trainer

LAB_POINTS = 1000
GRID_1D = 200
GRID_2D = 80
ARROWS = 150
MANIFOLD_SIDE = 15


def _bounds(real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = real.min(axis=0), real.max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    finite = fake[np.isfinite(fake).all(axis=1)]
    if len(finite):
        lo = np.maximum(np.minimum(lo, np.percentile(finite, 1, axis=0)), lo - span)
        hi = np.minimum(np.maximum(hi, np.percentile(finite, 99, axis=0)), hi + span)
    margin = 0.15 * np.maximum(hi - lo, 1e-3)
    return lo - margin, hi + margin


def _regular_z(trainer: Trainer, side: int) -> torch.Tensor:
    """A regular grid over the first one or two latent coordinates (others held at 0), +-2.5 sigma."""
    latent = trainer.config.model.latent_dim
    axis = torch.linspace(-2.5, 2.5, side)
    if latent == 1 or trainer.toy_data.dim == 1:
        z = torch.zeros(side, latent)
        z[:, 0] = axis
        return z
    gy, gx = torch.meshgrid(axis, axis, indexing="ij")
    z = torch.zeros(side * side, latent)
    z[:, 0], z[:, 1] = gx.reshape(-1), gy.reshape(-1)
    return z


def _d_map(trainer: Trainer, plane: torch.Tensor) -> torch.Tensor:
    """D(x) over the plane; for a conditional D the most real class's value at each point, so every
    class's mode shows as a bright spot."""
    kind = trainer.config.loss.kind
    if not trainer.num_classes:
        return losses.d_output(kind, trainer.realness(plane))
    per_class = [
        losses.d_output(kind, trainer.realness(plane, torch.full((len(plane),), c, device=plane.device)))
        for c in range(trainer.num_classes)
    ]
    return torch.stack(per_class).amax(dim=0)


def _one_class(trainer: Trainer, n: int) -> torch.Tensor | None:
    """Class 0 for every latent of the manifold grid (a conditional G maps z to one class at a time)."""
    return torch.zeros(n, dtype=torch.long) if trainer.num_classes else None


def distribution_frame(trainer: Trainer, real: np.ndarray, z: torch.Tensor) -> DistributionFrame:
    """A picture of the game now: real points (given), G(z), and D around them."""
    kind = trainer.config.loss.kind
    dev = trainer.device
    fake = trainer.sample_spread(z).numpy()
    label = "D score" if kind == "least-squares" else "D(x)"
    lo, hi = _bounds(real, fake)
    D = trainer.D
    if trainer.toy_data.dim == 1:
        xs = np.linspace(lo[0], hi[0], GRID_1D)
        with torch.no_grad():
            d = _d_map(trainer, torch.from_numpy(xs[:, None]).float().to(dev)).cpu().numpy()
        zline = _regular_z(trainer, 40)
        return DistributionFrame(
            trainer.step_count,
            1,
            real,
            fake,
            label,
            xs=xs,
            d_curve=d,
            data_density=trainer.toy_data.density(xs),
            z_values=zline[:, 0].numpy(),
            x_of_z=trainer.sample(zline).numpy()[:, 0],
        )
    gx = np.linspace(lo[0], hi[0], GRID_2D)
    gy = np.linspace(lo[1], hi[1], GRID_2D)
    mx, my = np.meshgrid(gx, gy)
    plane = torch.from_numpy(np.stack([mx.ravel(), my.ravel()], axis=1)).float().to(dev)
    with torch.no_grad():
        d_map = _d_map(trainer, plane).cpu().numpy().reshape(GRID_2D, GRID_2D)
    points = torch.from_numpy(np.nan_to_num(fake[:ARROWS])).float().to(dev).requires_grad_(True)
    with torch.enable_grad():
        g_loss = losses.g_loss(kind, trainer.realness(points, trainer.spread_labels(len(points)))).sum() * len(points)
        (grad,) = torch.autograd.grad(g_loss, points)
    D.zero_grad(set_to_none=True)
    push = -grad.detach().cpu().numpy()  # G moves its samples down its loss, toward where D says "real"
    norms = np.linalg.norm(push, axis=1, keepdims=True)
    scale = 0.06 * float(np.max(hi - lo)) / max(float(np.percentile(norms, 90)), 1e-12)
    grid_z = _regular_z(trainer, MANIFOLD_SIDE)
    manifold = trainer.sample(grid_z, _one_class(trainer, len(grid_z))).numpy().reshape(MANIFOLD_SIDE, MANIFOLD_SIDE, 2)
    pieces = None
    if trainer.config.model.latent_components and isinstance(trainer.G, MLPGenerator):  # G jumps between pieces
        pieces = trainer.G.component(grid_z).numpy().reshape(MANIFOLD_SIDE, MANIFOLD_SIDE)
    return DistributionFrame(
        trainer.step_count,
        2,
        real,
        fake,
        label,
        extent=(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])),
        d_map=d_map,
        arrow_from=points.detach().cpu().numpy(),
        arrow_vec=push * scale,
        manifold=manifold,
        manifold_pieces=pieces,
    )
