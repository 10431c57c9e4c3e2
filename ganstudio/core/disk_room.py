"""Whether the disk holding a run folder has room for the run's saves, asked before the run changes it.

A disk found full at the first checkpoint save (often the last step) meant every step trained for
nothing and a folder half moved on: its config, metrics and pictures past a latest.pt left behind."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.runlog import RunError

SAVE_MARGIN_BYTES = 4 << 20  # the sample grids, metrics, heartbeat and live picture beside the checkpoints


def tensor_bytes(value: Any) -> int:
    """The bytes of every tensor in a (nested) state dict: about what torch.save writes for it."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(tensor_bytes(v) for v in value)
    return 0


def check_room(folder: str | Path, state: dict[str, Any]) -> None:
    """A checkpoint is written whole beside the one it replaces, and the generator's snapshot beside that:
    twice the state, and a margin for the rest. A disk that cannot say how full it is is not refused."""
    needed = 2 * tensor_bytes(state) + SAVE_MARGIN_BYTES
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < needed:
        raise RunError(
            f"the disk holding {folder} has {free / 2**20:.1f} MB free, and this run's checkpoints need about "
            f"{needed / 2**20:.1f} MB: free some space or choose another folder; nothing was changed"
        )
