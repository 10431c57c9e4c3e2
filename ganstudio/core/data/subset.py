"""A fixed, class-balanced subset of an image set (data.limit): how a method copes with little data is
measured on a few thousand images of the bundled set, every class equally represented.

The subset depends only on the seed and the data, never on the training stream: its own generator,
so the same seed picks the same images and training draws stay as they are without a limit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ganstudio.core.data.images import LoadedImages

SUBSET_SEED_OFFSET = 7919  # keeps the subset's draw apart from other uses of the run's seed


def subset_indices(labels: np.ndarray | None, total: int, limit: int, seed: int) -> np.ndarray:
    """Sorted indices of `limit` images: limit // C of each class (the first limit % C classes of a
    seeded order get one more; a class with fewer images gives all it has); unlabelled data a plain
    random choice. All indices when limit is 0 or not below the total."""
    if limit <= 0 or limit >= total:
        return np.arange(total)
    rng = np.random.default_rng(seed + SUBSET_SEED_OFFSET)
    if labels is None:
        return np.sort(rng.choice(total, size=limit, replace=False))
    classes = np.unique(labels)
    share, extra = divmod(limit, len(classes))
    favoured = set(rng.permutation(classes)[:extra].tolist())
    chosen = []
    for c in classes:
        members = np.flatnonzero(labels == c)
        take = min(len(members), share + (1 if int(c) in favoured else 0))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))


def limit_images(loaded: LoadedImages, limit: int, seed: int) -> LoadedImages:
    """`loaded` cut to data.limit images (itself when 0 = all)."""
    if limit <= 0 or limit >= len(loaded.images):
        return loaded
    idx = subset_indices(loaded.labels, len(loaded.images), limit, seed)
    labels = None if loaded.labels is None else loaded.labels[idx]
    description = f"{loaded.description}, a class-balanced subset of {len(idx):,} (seed {seed})"
    return replace(loaded, images=loaded.images[idx], labels=labels, description=description)
