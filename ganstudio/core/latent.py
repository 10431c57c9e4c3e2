"""Latent-space maths for the explorer: GANSpace directions, slerp, composing a latent from sliders.

Everything here works in float64 numpy on the CPU so the GUI and `ganstudio sample --manifest`
compute bit-identical latents from the same description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch loads lazily: the window imports this module before it is painted
    from ganstudio.core.sampling import GeneratorSnapshot

MAX_DIRECTIONS = 16
DIRECTION_SAMPLES = 3000


@dataclass
class Directions:
    vectors: np.ndarray  # (k, latent_dim), orthonormal rows, most variance first
    variances: np.ndarray  # (k,) feature-space variance each direction explains, descending


def seeded_z(seed: int, latent_dim: int) -> np.ndarray:
    """One standard-normal latent from a seed (torch's CPU generator, as `ganstudio sample` uses)."""
    import torch

    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(1, latent_dim, generator=g)[0].double().numpy()


def principal_directions(
    snapshot: GeneratorSnapshot,
    count: int = MAX_DIRECTIONS,
    samples: int = DIRECTION_SAMPLES,
    seed: int = 0,
    label: int = 0,
) -> Directions:
    """GANSpace (Härkönen et al. 2020): PCA of an early feature layer over many z, mapped back to z-space.

    A conditional generator's directions are found with its class fixed (label): they are latent
    directions, so they keep working when the class changes (a style shared by the classes).

    The principal components of the features are regressed onto z (least squares), so each
    direction is the latent change that moves the features along one component; the
    directions are then orthonormalised in order of explained variance.
    """
    import torch

    latent = snapshot.latent_dim
    count = min(count, latent)
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, latent, generator=g)
    features_fn = getattr(snapshot.generator, "features", None)
    classes = (snapshot.class_weights(label, samples).to(snapshot.device),) if snapshot.is_conditional else ()
    with torch.no_grad():
        feats = (
            features_fn(z.to(snapshot.device), *classes)
            if features_fn
            else snapshot.generator(z.to(snapshot.device), *classes)
        )
    feats = feats.reshape(samples, -1).double().cpu()
    centred = feats - feats.mean(dim=0, keepdim=True)
    if centred.shape[1] <= 512:
        _u, s, vh = torch.linalg.svd(centred, full_matrices=False)
        v = vh.T
    else:  # randomised PCA for wide feature layers (6,272 features for the 28 px DCGAN)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            _u, s, v = torch.pca_lowrank(centred, q=min(count + 8, min(centred.shape)), center=False, niter=4)
    v = v[:, :count]  # (F, count), singular values descending
    coeffs = centred @ v  # (N, count): each sample's position along each component
    variances = (s[:count] ** 2 / (samples - 1)).numpy()
    # Least squares: z ~ coeffs @ B, so B's rows are latent displacements per component unit.
    solution = torch.linalg.lstsq(coeffs, z.double()).solution  # (count, latent)
    q_mat, r = torch.linalg.qr(solution.T)  # Gram-Schmidt in variance order
    signs = torch.sign(torch.diagonal(r))
    signs[signs == 0] = 1
    vectors = (q_mat * signs).T.numpy()  # keep each direction pointing like its regression vector
    return Directions(np.ascontiguousarray(vectors), variances)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation: keeps intermediate latents at the norm Gaussian samples have."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return (1 - t) * a + t * b
    cos = float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    omega = np.arccos(cos)
    if omega < 1e-6:
        return (1 - t) * a + t * b
    arc: np.ndarray = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return arc


@dataclass
class LatentEdit:
    """What the sliders say: a seed's z, raw coordinates set, direction offsets, truncation."""

    seed: int = 0
    direction_values: list[float] = field(default_factory=list)  # one per direction, in sigma units
    raw_values: dict[int, float] = field(default_factory=dict)  # latent index -> value
    truncation: float = 1.0

    def compose(self, latent_dim: int, directions: np.ndarray | None) -> np.ndarray:
        return compose_latent(seeded_z(self.seed, latent_dim), self, directions)


def compose_latent(base: np.ndarray, edit: LatentEdit, directions: np.ndarray | None) -> np.ndarray:
    z = np.array(base, dtype=np.float64, copy=True)
    for index, value in edit.raw_values.items():
        z[int(index)] = value
    if directions is not None:
        for value, vector in zip(edit.direction_values, directions, strict=False):
            if value:
                z = z + value * vector
    return z * edit.truncation


def neighbours(z: np.ndarray, count: int, radius: float = 0.6, seed: int = 1) -> np.ndarray:
    """Latents near z, the same offsets every time so the strip is stable while dragging."""
    rng = np.random.default_rng(seed)
    offsets = rng.standard_normal((count, z.shape[0]))
    return z[None] + radius * offsets
