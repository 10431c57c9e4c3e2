"""Image sets that can be regenerated exactly: PNGs, a contact sheet, latents.npy and manifest.json.

The manifest describes the latents (seeds, slider values, directions) rather than only
listing them, and both the GUI and `ganstudio sample --manifest` turn that description into
latents with the same function, so a set regenerates bit for bit on the CPU.
A set is written to a temporary folder beside the destination and renamed into place at the
end: a failure leaves nothing behind, and an existing folder is never overwritten.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ganstudio import __version__
from ganstudio.core.imaging import image_grid, upscale_nearest
from ganstudio.core.latent import LatentEdit, neighbours, slerp
from ganstudio.core.sampling import GeneratorSnapshot, load_generator

MANIFEST_VERSION = 1
MODES = ("random", "neighbours", "interpolation", "sweep")
SCALES = (1, 2, 4)


class ExportError(RuntimeError):
    pass


@dataclass
class ImageSetSpec:
    mode: str = "random"
    count: int = 16  # samples (random), neighbours, or frames (interpolation, sweep)
    seed: int = 0  # random mode
    edit: LatentEdit = field(default_factory=LatentEdit)  # the current image (neighbours, sweep)
    directions: list[list[float]] | None = None
    a: list[float] | None = None  # interpolation endpoints, explicit latents
    b: list[float] | None = None
    direction_index: int = 0  # sweep
    sweep_range: float = 3.0
    scale: int = 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["edit"]["raw_values"] = {str(k): v for k, v in self.edit.raw_values.items()}
        return d

    @classmethod
    def from_dict(cls, raw: dict) -> ImageSetSpec:
        raw = dict(raw)
        edit = dict(raw.pop("edit", {}))
        edit["raw_values"] = {int(k): float(v) for k, v in edit.get("raw_values", {}).items()}
        return cls(edit=LatentEdit(**edit), **raw)

    def validate(self, latent_dim: int) -> None:
        if self.mode not in MODES:
            raise ExportError(f"unknown image-set kind {self.mode!r}")
        if not 1 <= self.count <= 10000:
            raise ExportError("the number of images must be from 1 to 10,000")
        if self.scale not in SCALES:
            raise ExportError("scale must be 1, 2 or 4")
        if self.mode == "interpolation" and (self.a is None or self.b is None):
            raise ExportError("an interpolation needs both A and B")
        if self.mode == "sweep" and (not self.directions or not 0 <= self.direction_index < len(self.directions)):
            raise ExportError("a sweep needs a direction")
        for latent in (self.a, self.b):
            if latent is not None and len(latent) != latent_dim:
                raise ExportError("interpolation endpoints do not match the generator's latent size")


def latents_for(spec: ImageSetSpec, latent_dim: int) -> np.ndarray:
    """(N, latent_dim) float32 latents the spec describes; the single source of truth for regeneration."""
    spec.validate(latent_dim)
    dirs = np.asarray(spec.directions, dtype=np.float64) if spec.directions else None
    if spec.mode == "random":
        g = torch.Generator().manual_seed(int(spec.seed))
        z = torch.randn(spec.count, latent_dim, generator=g).double().numpy() * spec.edit.truncation
    elif spec.mode == "neighbours":
        centre = spec.edit.compose(latent_dim, dirs)
        z = np.concatenate([centre[None], neighbours(centre, spec.count)])
    elif spec.mode == "interpolation":
        a, b = np.asarray(spec.a, dtype=np.float64), np.asarray(spec.b, dtype=np.float64)
        ts = np.linspace(0.0, 1.0, spec.count) if spec.count > 1 else np.zeros(1)
        z = np.stack([slerp(a, b, float(t)) for t in ts])
    else:
        centre = spec.edit.compose(latent_dim, dirs)
        values = np.linspace(-spec.sweep_range, spec.sweep_range, spec.count)
        z = np.stack([centre + v * dirs[spec.direction_index] * spec.edit.truncation for v in values])
    return np.ascontiguousarray(z.astype(np.float32))


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pictures(snapshot: GeneratorSnapshot, z: np.ndarray, scale: int) -> list[np.ndarray]:
    images = snapshot.images(torch.from_numpy(z))  # (N, C, H, W) uint8
    out = []
    for image in images:
        picture = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
        out.append(upscale_nearest(np.ascontiguousarray(picture), scale))
    return out


def _write_files(folder: Path, pictures: list[np.ndarray], z: np.ndarray, animate: bool) -> list[str]:
    from PIL import Image

    names = []
    for i, picture in enumerate(pictures):
        name = f"image_{i:04d}.png"
        Image.fromarray(picture).save(folder / name, format="PNG")
        names.append(name)
    stack = np.stack([p[None] if p.ndim == 2 else p.transpose(2, 0, 1) for p in pictures])
    Image.fromarray(image_grid(stack, nrow=min(8, len(pictures)), fill=255)).save(folder / "contact_sheet.png")
    np.save(folder / "latents.npy", z)
    if animate:
        frames = [Image.fromarray(p) for p in pictures]
        frames[0].save(folder / "animation.gif", save_all=True, append_images=frames[1:] + frames[-2:0:-1],
                       duration=80, loop=0)
    return names


def write_image_set(snapshot: GeneratorSnapshot, spec: ImageSetSpec, dest: str | Path,
                    checkpoint: str | Path | None = None) -> Path:
    """Writes the set into dest (which must not exist yet). Without a checkpoint file (a live run),
    the generator is saved inside the set as generator.pt so the manifest stays reproducible."""
    dest = Path(dest).expanduser()
    if dest.exists():
        raise ExportError(f"{dest} already exists; choose another name (nothing was overwritten)")
    parent = dest.parent
    if not parent.is_dir():
        raise ExportError(f"folder not found: {parent}")
    z = latents_for(spec, snapshot.latent_dim)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=parent))
    except OSError as exc:
        raise ExportError(f"cannot write to {parent}: {exc.strerror}") from None
    try:
        if checkpoint is None:
            from ganstudio.core.checkpoint import save_checkpoint
            from ganstudio.core.trainer import CHECKPOINT_FORMAT, CHECKPOINT_VERSION

            save_checkpoint({"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
                             "config": snapshot.config.to_dict(), "step": snapshot.step,
                             "generator": snapshot.generator.state_dict()}, tmp / "generator.pt")
            checkpoint_ref, checkpoint_file = "generator.pt", tmp / "generator.pt"
        else:
            checkpoint_file = Path(checkpoint).resolve()
            checkpoint_ref = str(checkpoint_file)
        pictures = _pictures(snapshot, z, spec.scale)
        names = _write_files(tmp, pictures, z, animate=spec.mode in ("interpolation", "sweep"))
        manifest = {
            "format": "ganstudio-image-set", "version": MANIFEST_VERSION, "ganstudio": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "checkpoint": checkpoint_ref,
            "checkpoint_sha256": sha256_file(checkpoint_file), "step": snapshot.step, "spec": spec.to_dict(),
            "images": names,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.rename(tmp, dest)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise ExportError(f"could not write the image set to {dest}: {reason}; nothing was left behind") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def read_manifest(path: str | Path) -> dict:
    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"manifest not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExportError(f"{path} is not a valid manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "ganstudio-image-set":
        raise ExportError(f"{path} is not a GAN Studio image-set manifest")
    return manifest


def regenerate(manifest_path: str | Path, out: str | Path) -> Path:
    """Rebuilds an image set from its manifest (checking the checkpoint's SHA-256 first)."""
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    checkpoint = Path(manifest["checkpoint"])
    if not checkpoint.is_absolute():
        checkpoint = manifest_path.parent / checkpoint
    if not checkpoint.is_file():
        raise ExportError(f"the manifest's checkpoint is missing: {checkpoint}")
    if sha256_file(checkpoint) != manifest.get("checkpoint_sha256"):
        raise ExportError(f"{checkpoint} has changed since the set was saved (SHA-256 differs)")
    spec = ImageSetSpec.from_dict(manifest["spec"])
    snapshot = load_generator(checkpoint, device="cpu")
    return write_image_set(snapshot, spec, out, checkpoint=checkpoint)
