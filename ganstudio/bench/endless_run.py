"""The runs a bench stops itself, after its chunks or seconds.

Such a run is given a step count it never reaches, and a checkpoint interval as long. Before a run
starts, the disk is checked for room for every step copy it could write (core.disk_room): ten million
steps of an image preset at the default interval is tens of GB that the bench never writes, and a
machine with less free was refused before measuring anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ganstudio.core.config import RunConfig

ENDLESS_STEPS = 10_000_000


def make_endless(config: RunConfig) -> None:
    config.train.steps = ENDLESS_STEPS
    config.train.checkpoint_every = ENDLESS_STEPS
