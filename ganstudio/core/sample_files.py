"""`ganstudio sample`'s output: PNGs and a grid, or samples.npy for toy data, all or nothing.

Everything is written into a hidden temporary folder inside the destination and moved into
place only once it is complete: a full disk or a Ctrl-C leaves no partial PNG or empty .npy that
would then block a rerun ("exists; use --force"). Generation runs in chunks, so a large count
needs the memory of one chunk, not of all the images at once. A conditional generator's samples
cycle through the chosen classes (default: every class, balanced), and labels.csv (toy data:
labels.npy) says which image is which class.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import numpy as np

from ganstudio.core.atomic import partial_folder, remove_stale_partial_folders
from ganstudio.core.export import ExportError
from ganstudio.core.imaging import image_grid, save_png
from ganstudio.core.npy_save import save_npy
from ganstudio.core.paths import make_folders, remove_made_folders
from ganstudio.core.run_data import inside_training_images
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.sampling import GeneratorSnapshot, seeded_latents

CHUNK = 256
MAX_IMAGES = 100_000
MAX_POINTS = 10_000_000
GRID_IMAGES = 256  # grid.png shows the first ones: a grid of 100,000 would be gigapixels


def output_names(snapshot: GeneratorSnapshot, n: int) -> list[str]:
    labels = ["labels.npy" if snapshot.is_toy else "labels.csv"] if snapshot.is_conditional else []
    if snapshot.is_toy:
        return ["samples.npy", *labels]
    return [f"sample_{i:04d}.png" for i in range(n)] + ["grid.png", *labels]


def sample_labels(snapshot: GeneratorSnapshot, n: int, classes: list[int] | None) -> np.ndarray | None:
    """Each sample's class: cycling through the chosen classes, or through all of them (balanced);
    None for an unconditional generator (which refuses chosen classes)."""
    if not snapshot.is_conditional:
        if classes:
            raise ExportError("--class needs a class-conditional checkpoint; this one's model.conditional is off")
        return None
    chosen = np.asarray(classes if classes else range(snapshot.num_classes), dtype=np.int64)
    return chosen[np.arange(n) % len(chosen)]


def check_count(snapshot: GeneratorSnapshot, n: int) -> None:
    most = MAX_POINTS if snapshot.is_toy else MAX_IMAGES
    if not 1 <= n <= most:
        raise ExportError(f"--n must be from 1 to {most:,} for this checkpoint, not {n:,}")


def _write_into(folder: Path, snapshot: GeneratorSnapshot, seed: int, n: int, labels: np.ndarray | None) -> None:
    z = seeded_latents(seed, n, snapshot.latent_dim)

    def chunk_labels(start: int) -> np.ndarray | None:
        return None if labels is None else labels[start : start + CHUNK]

    if snapshot.is_toy:
        points = np.concatenate(
            [snapshot.generate(z[i : i + CHUNK], chunk_labels(i)).numpy() for i in range(0, n, CHUNK)]
        )
        save_npy(folder / "samples.npy", points)
        if labels is not None:
            save_npy(folder / "labels.npy", labels)
        return
    if labels is not None:
        rows = [
            f"sample_{i:04d}.png,{label},{_csv_field(snapshot.class_names[label])}" for i, label in enumerate(labels)
        ]
        (folder / "labels.csv").write_text("file,class_index,class\n" + "\n".join(rows) + "\n", encoding="utf-8")
    grid: list[np.ndarray] = []
    for start in range(0, n, CHUNK):
        images = snapshot.images(z[start : start + CHUNK], chunk_labels(start))
        for i, image in enumerate(images, start):
            save_png(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0), folder / f"sample_{i:04d}.png")
        grid.extend(images[: max(0, GRID_IMAGES - start)])
    save_png(image_grid(np.stack(grid)), folder / "grid.png")


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def write_samples(
    snapshot: GeneratorSnapshot,
    seed: int,
    n: int,
    out: str | Path,
    force: bool = False,
    classes: list[int] | None = None,
) -> list[Path]:
    """Writes the samples for (seed, n) into out; the same seed gives the same files on every machine.
    classes: the class indices to cycle through (conditional generators; default all of them)."""
    check_count(snapshot, n)
    labels = sample_labels(snapshot, n, classes)
    out = Path(out).expanduser()
    if RunDirectory.holds_a_run(out):  # as `train --out` refuses it: a run folder's top level is the run's
        raise ExportError(f"{out} is a run folder; write the samples into a folder of their own (a new --out)")
    if (inside := inside_training_images(out, snapshot.config)) is not None:
        raise ExportError(inside)
    targets = [out / name for name in output_names(snapshot, n)]
    taken = [p for p in targets if p.exists() or p.is_symlink()]
    not_files = [p for p in taken if p.is_symlink() or not p.is_file()]
    if not_files:  # checked before any file is moved in: --force replaces files, never a folder or a link
        raise ExportError(f"{not_files[0]} is not a file; --force replaces only the files a sample run wrote")
    if taken and not force:
        raise ExportError(
            f"{taken[0]} exists"
            + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
            + "; use --force to overwrite"
        )
    made: list[Path] = []
    try:
        made = make_folders(out)
        remove_stale_partial_folders(out)  # what a sample run killed mid-write left there
        tmp = partial_folder(out / "samples")  # named as remove_stale_partial_folders finds it
    except OSError as exc:
        remove_made_folders(made)
        raise ExportError(f"cannot write to {out}: {exc.strerror}") from None
    try:
        _write_into(tmp, snapshot, seed, n, labels)
        for target in targets:
            os.replace(tmp / target.name, target)
    except BaseException as exc:  # a full disk, or Ctrl-C: nothing is left behind either way
        shutil.rmtree(tmp, ignore_errors=True)
        if out in made:  # a folder this call made: the samples in it are the ones it moved in
            for target in targets:
                target.unlink(missing_ok=True)
        remove_made_folders(made)
        if not isinstance(exc, OSError):
            raise
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise ExportError(f"could not write the samples to {out}: {reason}; nothing was left behind") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return targets
