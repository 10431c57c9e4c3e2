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

from ganstudio.core.imaging import SAMPLE_GRID_COLUMNS, grid_shape
from ganstudio.core.runlog import RunDirectory, RunError

if TYPE_CHECKING:
    from ganstudio.core.trainer import Trainer

SAVE_MARGIN_BYTES = 1 << 20  # the heartbeat, live picture, distribution frame and quality events beside the checkpoints
METRICS_LINE_BYTES = 400  # one step's line in metrics.jsonl (about 250 bytes) with room to spare
PNG_OVERHEAD_BYTES = 4096  # a PNG's chunks and zlib's framing
TOY_PICTURE_BYTES = 24 << 10  # a toy run's scatter: points on white, which PNG packs to a tenth of its pixels
HISTORY_HORIZON_STEPS = 1000  # the default checkpoint interval
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


def picture_bytes(trainer: Trainer) -> int:
    """At most what one sample grid's PNG takes: its pixels uncompressed (a grid of noise barely
    compresses), a conditional grid's row names and the file's own bytes on top."""
    if trainer.is_toy:
        return TOY_PICTURE_BYTES
    data = trainer.config.data
    height, width = grid_shape(trainer.fixed_noise.shape[0], data.image_size, data.image_size, SAMPLE_GRID_COLUMNS)
    return int(1.25 * height * width * data.channels) + PNG_OVERHEAD_BYTES


def history_bytes(trainer: Trainer, total_steps: int) -> int:
    """The sample grids and metrics.jsonl lines written before the run's next checkpoint, which are what
    a disk filled by them would cost: every step since the last save (a grid every step, with no
    checkpoint before the end, lost a whole run). Counted at most HISTORY_HORIZON_STEPS ahead, so a run
    meant to be stopped (a bench's endless one, a long run with rare checkpoints) is not refused for
    pictures it may never draw."""
    train, step = trainer.config.train, trainer.step_count
    until = min(
        total_steps, (step // train.checkpoint_every + 1) * train.checkpoint_every, step + HISTORY_HORIZON_STEPS
    )
    grids = until // train.sample_every - step // train.sample_every + 1  # and the picture at a stop
    return grids * picture_bytes(trainer) + (until - step) * METRICS_LINE_BYTES


def run_needs_bytes(trainer: Trainer, total_steps: int) -> int:
    """latest.pt written whole beside the one it replaces, a step copy at every interval still to come,
    best.pt when kept, the generator's snapshot for the window, and the sample grids and metrics."""
    every = trainer.config.train.checkpoint_every
    copies = total_steps // every - trainer.step_count // every
    files = 1 + max(0, copies) + (1 if trainer.config.quality.keep_best else 0)
    checkpoints = files * checkpoint_bytes(trainer) + module_bytes(trainer.G)
    return checkpoints + history_bytes(trainer, total_steps) + SAVE_MARGIN_BYTES


def bytes_a_restart_frees(run: RunDirectory, disk: Path) -> int:
    """What the files a restart deletes take on the disk holding `disk`: those on another mount free
    nothing there, and a kept step copy is latest.pt's own file under a second name, counted once."""
    device = disk.stat().st_dev
    files = {(s.st_dev, s.st_ino): s.st_size for s in (p.stat() for p in run.history_files())}
    return sum(size for (dev, _inode), size in files.items() if dev == device)


def check_room(run: RunDirectory, trainer: Trainer, total_steps: int, restarting: bool = False) -> None:
    """Measured where the checkpoints go (checkpoints/ may be a mount of its own); a restart counts the
    files it is about to delete as free. A disk that cannot say how full it is is not refused."""
    needed = run_needs_bytes(trainer, total_steps)
    where = run.checkpoints_dir if run.checkpoints_dir.is_dir() else run.path
    try:
        free = shutil.disk_usage(where).free
        if restarting:
            free += bytes_a_restart_frees(run, Path(where))
    except OSError:
        return
    if free < needed:
        raise RunError(
            f"the disk holding {Path(where)} has {free / 2**20:,.1f} MB free, and this run's checkpoints and "
            f"sample grids need about {needed / 2**20:,.1f} MB: free some space, choose another folder, or save "
            "less often (train.checkpoint_every, train.sample_every); nothing was changed"
        )
