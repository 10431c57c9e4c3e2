"""What the latent explorer is looking at, apart from how it is shown.

The window's explorer view only mirrors this: the generator copy, the edit the sliders describe,
the interpolation endpoints, the directions found for the model and, for a class-conditional
generator, the class (with the class it morphs towards). Keeping it free of Qt lets the same rules
(which latent and class to draw, what a new model forgets) be tested and reused without a window.
The class lives beside the seed, outside the latent: the directions are latent directions, so they
keep working when the class changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganstudio.core.latent import MAX_DIRECTIONS, Directions, LatentEdit, compose_latent, seeded_z, slerp

if TYPE_CHECKING:  # torch loads lazily: the window imports this module before it is painted
    from ganstudio.core.config import DataConfig, ModelConfig
    from ganstudio.core.export import ImageSetSpec
    from ganstudio.core.sampling import GeneratorSnapshot


class Endpoint(str, Enum):
    A = "a"
    B = "b"


def model_of(snapshot: GeneratorSnapshot) -> tuple[ModelConfig, DataConfig, tuple[str, ...]]:
    """What latents, classes, directions and views depend on: another copy of the same model can reuse them."""
    return snapshot.config.model, snapshot.config.data, snapshot.class_names


@dataclass
class ExplorerState:
    snapshot: GeneratorSnapshot | None = None
    checkpoint_path: str | None = None  # the file the snapshot came from; None for a live copy
    checkpoint_sha256: str | None = None  # that file's digest when the snapshot was read from it
    seed: int = 0
    truncation: float = 1.0
    direction_values: list[float] = field(default_factory=lambda: [0.0] * MAX_DIRECTIONS)  # sigma units
    raw_values: dict[int, float] = field(default_factory=dict)  # latent index -> value
    directions: Directions | None = None
    directions_step: int | None = None  # the generator step the directions were found on
    point_a: np.ndarray | None = None
    point_b: np.ndarray | None = None
    interp_t: float | None = None  # None: show the edit; else a point between A and B
    label: int = 0  # the class drawn (conditional generators); class morphing starts here
    label_b: int = 0  # the class morphing ends at
    morph_t: float = 0.0  # 0: the pure class `label`; 1: the pure class `label_b`
    directions_label: int | None = None  # the class the directions were found with

    def set_snapshot(
        self, snapshot: GeneratorSnapshot, checkpoint: str | None = None, checkpoint_sha256: str | None = None
    ) -> bool:
        """Takes a new generator copy; True when it is another model, which forgets everything tied
        to the old latent space. A checkpoint's directions are found afresh as well."""
        new_model = self.snapshot is None or model_of(self.snapshot) != model_of(snapshot)
        if new_model:
            self.forget_model()
        if new_model or checkpoint:
            self.directions = None
            self.directions_step = None
        self.snapshot = snapshot
        self.checkpoint_path = checkpoint
        self.checkpoint_sha256 = checkpoint_sha256
        if new_model and snapshot.num_classes > 1:
            self.label_b = 1  # a morph needs two classes: the first two until the user picks others
        return new_model

    def unload(self) -> None:
        """No generator at all: the window's run has none yet, or its file cannot be read."""
        self.forget_model()
        self.snapshot = None
        self.checkpoint_path = self.checkpoint_sha256 = None

    def forget_model(self) -> None:
        self.direction_values = [0.0] * MAX_DIRECTIONS
        self.raw_values.clear()
        self.point_a = self.point_b = None
        self.interp_t = None
        self.directions = None
        self.directions_step = None
        self.directions_label = None
        self.label, self.label_b, self.morph_t = 0, 0, 0.0

    def accept_directions(self, snapshot: GeneratorSnapshot, directions: Directions, label: int = 0) -> bool:
        """Directions found on `snapshot` (with the class `label` fixed); False when the explorer has
        moved on to another model."""
        if self.snapshot is None or model_of(snapshot) != model_of(self.snapshot):
            return False
        self.directions = directions
        self.directions_step = snapshot.step
        self.directions_label = label if snapshot.is_conditional else None
        return True

    def needs_directions(self) -> bool:
        return self.directions is None

    def directions_stale(self) -> bool:
        return self.snapshot is not None and self.snapshot.step != self.directions_step

    def reset_edits(self) -> None:
        self.direction_values = [0.0] * MAX_DIRECTIONS
        self.raw_values = dict.fromkeys(self.raw_values, 0.0)
        self.truncation = 1.0
        self.interp_t = None

    @property
    def direction_count(self) -> int:
        return len(self.directions.vectors) if self.directions is not None else 0

    def edit(self) -> LatentEdit:
        """The edit the sliders describe, with one value per direction found."""
        return LatentEdit(
            seed=self.seed,
            direction_values=self.direction_values[: self.direction_count],
            raw_values=dict(self.raw_values),
            truncation=self.truncation,
        )

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.snapshot.class_names if self.snapshot is not None else ()

    @property
    def grid_row_names(self) -> tuple[str, ...]:
        """The names of a sample grid's rows: a conditional image run's classes. A toy run's picture is a
        scatter of points, which "mode 0 ... mode 7" beside it would pretend were rows."""
        return () if self.snapshot is None or self.snapshot.is_toy else self.class_names

    def set_class(self, label: int) -> None:
        """Draws this class; a morph under way starts again from it. Choosing the class the morph ends at
        swaps the two, so the morph never goes from a class to itself (its slider would do nothing)."""
        if label == self.label_b and label != self.label:
            self.label_b = self.label
        self.label = label
        self.morph_t = 0.0

    def set_morph_end(self, label: int) -> None:
        """The class the morph ends at; the class drawn, chosen here, swaps the two as `set_class` does."""
        if label == self.label and label != self.label_b:
            self.label = self.label_b
        self.label_b = label

    def class_weights(self) -> np.ndarray | None:
        """(C,) float32 class weights to draw with: the class, or a point of the morph towards label_b
        (exactly one-hot at t = 0 and t = 1); None for an unconditional generator."""
        if not self.class_names:
            return None
        from ganstudio.core.sampling import class_mix

        return class_mix(self.label, self.label_b, self.morph_t, len(self.class_names))

    def base_z(self) -> np.ndarray | None:
        return None if self.snapshot is None else seeded_z(self.seed, self.snapshot.latent_dim)

    def set_endpoint(self, which: Endpoint | str) -> np.ndarray | None:
        z = self.latent()
        if z is not None:
            if Endpoint(which) is Endpoint.A:
                self.point_a = z
            else:
                self.point_b = z
        return z

    @property
    def has_endpoints(self) -> bool:
        return self.point_a is not None and self.point_b is not None

    def latent(self) -> np.ndarray | None:
        """The latent to draw: a point between A and B while interpolating, else the edited seed."""
        base = self.base_z()
        if base is None:
            return None
        if self.interp_t is not None and self.point_a is not None and self.point_b is not None:
            return slerp(self.point_a, self.point_b, self.interp_t)
        vectors = self.directions.vectors if self.directions is not None else None
        return compose_latent(base, self.edit(), vectors)

    def spec(self) -> ImageSetSpec:
        """An image set's description of what is on screen (the save dialog fills in the rest)."""
        from ganstudio.core.export import ImageSetSpec

        return ImageSetSpec(
            edit=self.edit(),
            directions=self.directions.vectors.tolist() if self.directions is not None else None,
            a=self.point_a.tolist() if self.point_a is not None else None,
            b=self.point_b.tolist() if self.point_b is not None else None,
            label=self.label if self.class_names else None,
            label_b=self.label_b if self.class_names else None,
        )

    def source_name(self) -> str:
        return f"from {Path(self.checkpoint_path).name}" if self.checkpoint_path else "from the running training"
