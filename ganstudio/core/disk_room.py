"""Whether the disk holding a run folder has room for the checkpoints the run will write, asked before
the run changes the folder.

A disk found full at a checkpoint save (often the last step) meant steps trained for nothing and a
folder half moved on: its config, metrics and pictures past a latest.pt left behind. Every checkpoint
interval keeps a step copy beside latest.pt, so the room a run needs grows with its length."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from torch import nn

from ganstudio.core.runlog import RunDirectory, RunError

if TYPE_CHECKING:
    from ganstudio.core.trainer import Trainer

SAVE_MARGIN_BYTES = 1 << 20  # the sample grids, metrics, heartbeat and live picture beside the checkpoints
# a weight's copies each holds: Adam two moments, SGD its momentum, RMSprop its mean square
OPTIMIZER_MOMENTS = {"adam": 2, "sgd": 1, "rmsprop": 1}


def module_bytes(module: nn.Module | None) -> int:
    if module is None:
        return 0
    return sum(t.numel() * t.element_size() for t in module.state_dict().values())


def checkpoint_bytes(trainer: Trainer) -> int:
    """About what one checkpoint of trainer takes, counted from its modules: before the first step the
    optimizers hold no moments yet, so their state_dict would leave them out."""
    moments = OPTIMIZER_MOMENTS[trainer.config.optim.name]
    return (1 + moments) * (module_bytes(trainer.G) + module_bytes(trainer.D)) + module_bytes(trainer.G_ema)


def run_needs_bytes(trainer: Trainer, total_steps: int) -> int:
    """latest.pt written whole beside the one it replaces, a step copy at every interval still to come,
    best.pt when kept, and the generator's snapshot for the window."""
    every = trainer.config.train.checkpoint_every
    copies = total_steps // every - trainer.step_count // every
    files = 1 + max(0, copies) + (1 if trainer.config.quality.keep_best else 0)
    return files * checkpoint_bytes(trainer) + module_bytes(trainer.G) + SAVE_MARGIN_BYTES


def check_room(run: RunDirectory, trainer: Trainer, total_steps: int, restarting: bool = False) -> None:
    """Measured where the checkpoints go (checkpoints/ may be a mount of its own); a restart counts the
    checkpoints it is about to delete as free. A disk that cannot say how full it is is not refused."""
    needed = run_needs_bytes(trainer, total_steps)
    where = run.checkpoints_dir if run.checkpoints_dir.is_dir() else run.path
    try:
        free = shutil.disk_usage(where).free
        if restarting and run.checkpoints_dir.is_dir():
            free += sum(p.stat().st_size for p in run.checkpoints_dir.glob("*.pt"))
    except OSError:
        return
    if free < needed:
        raise RunError(
            f"the disk holding {Path(where)} has {free / 2**20:,.1f} MB free, and this run's checkpoints need "
            f"about {needed / 2**20:,.1f} MB: free some space, choose another folder, or save less often "
            "(train.checkpoint_every); nothing was changed"
        )
