"""Checkpoint files: atomic writes and safe loads.

A checkpoint is never written in place (a crash mid-write would lose the last good one),
and never loaded with full unpickling (a checkpoint from the internet could run code).
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch

from ganstudio.core.atomic import atomic_write
from ganstudio.core.trainer import CHECKPOINT_FORMAT, CHECKPOINT_VERSION


class CheckpointError(RuntimeError):
    pass


def save_checkpoint(state: dict, path: str | Path) -> Path:
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path} is not a readable checkpoint (corrupt, truncated or not a torch file)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = next((line.strip() for line in str(exc).splitlines() if "Unsupported global" in line),
                      "objects other than tensors and plain data")
        raise CheckpointError(f"{path} was refused: it holds code a safe load will not run ({reason})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CheckpointError(f"{path} is not a readable checkpoint (corrupt or truncated): {exc}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a GAN Studio checkpoint")
    if int(state.get("version", 0)) > CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} was written by a newer GAN Studio (format {state['version']})")
    return state
