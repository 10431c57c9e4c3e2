"""Image sets that can be regenerated exactly: PNGs, a contact sheet, latents.npy and manifest.json.

The manifest describes the latents (seeds, slider values, directions) rather than only
listing them, and both the GUI and `ganstudio sample --manifest` turn that description into
latents (and, for a conditional generator, class weights) with the same functions, so a set
regenerates bit for bit on the CPU. The manifest also names each image's class.
A set is written to a temporary folder beside the destination and renamed into place at the
end: a failure leaves nothing behind, and an existing folder is never overwritten.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from ganstudio import __version__
from ganstudio.core.atomic import cannot_write_in, partial_folder, remove_stale_partial_folders
from ganstudio.core.checkpoint import CheckpointError
from ganstudio.core.config import ConfigError, RunConfig, parse_json
from ganstudio.core.imaging import image_grid, upscale_nearest, with_row_names
from ganstudio.core.latent import LatentEdit, neighbours, slerp
from ganstudio.core.npy_save import save_npy
from ganstudio.core.run_data import inside_training_images
from ganstudio.core.runlog import run_folder_of
from ganstudio.core.sampling import GeneratorSnapshot, class_mix, load_generator

MANIFEST_VERSION = 1
# class-morph: z fixed, the class embedding from `label` to `label_b`; class-sweep: one row per class,
# columns stepping along a direction (conditional generators only)
MODES = ("random", "neighbours", "interpolation", "sweep", "class-morph", "class-sweep")
CLASS_MODES = ("class-morph", "class-sweep")
# The kinds whose images are steps along a path (a class sweep: along each row): one image would never leave its
# start, so the window asks for two at least; a set of one read from a manifest is still drawn
PATH_MODES = ("interpolation", "sweep", "class-morph", "class-sweep")
SCALES = (1, 2, 4)


MAX_LATENT = 1024  # the config's largest latent size
MAX_MANIFEST_BYTES = 4 << 20
SET_CHUNK = 256  # images drawn and written at once
MAX_IMAGES = 10_000  # in one set
SHEET_IMAGES = 1024  # the contact sheet shows the first ones: one of 10,000 large pictures would be gigapixels
GIF_FRAMES = 300  # an animation's frames, evenly spaced over a longer set


class ExportError(RuntimeError):
    pass


def _mapping(value: object, name: str, allowed: set[str] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ExportError(f"{name} must be an object")
    unknown = sorted(str(k) for k in value if allowed is not None and k not in allowed)
    if unknown:
        raise ExportError(f"{name}: unknown field {unknown[0]!r}")
    return value


T = TypeVar("T")


def _typed(raw: dict[str, Any], key: str, kind: type[T], default: T) -> T:
    value = raw.get(key, default)
    if not isinstance(value, kind):
        raise ExportError(f"spec.{key} must be {kind.__name__}")
    return value


def _integer(raw: dict[str, Any], key: str, default: int, least: int = 0, most: int = 2**63 - 1) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        said = "2**63 - 1" if most == 2**63 - 1 else f"{most:,}"
        raise ExportError(f"{key} must be a whole number from {least:,} to {said}")
    return value


def _number(value: object, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or abs(value) > 1e6:
        raise ExportError(f"{name} must be a number from -1,000,000 to 1,000,000")
    return float(value)


def _sized(value: object, name: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_LATENT:
        raise ExportError(f"{name} must be a list of at most {MAX_LATENT} entries")
    return value


def _vector(value: object, name: str) -> list[float]:
    return [_number(v, f"each of {name}") for v in _sized(value, name)]


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
    label: int | None = None  # the class of every image (conditional generators); class-morph's start
    label_b: int | None = None  # class-morph's end

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["edit"]["raw_values"] = {str(k): v for k, v in self.edit.raw_values.items()}
        return d

    @classmethod
    def from_dict(cls, raw: object) -> ImageSetSpec:
        """A spec from a manifest, which may have been edited by hand: every field's type and size checked."""
        raw = _mapping(raw, "spec", {f.name for f in fields(cls)})
        edit = _mapping(raw.get("edit", {}), "spec.edit", {f.name for f in fields(LatentEdit)})
        raw_values = _mapping(edit.get("raw_values", {}), "spec.edit.raw_values", None)
        if not all(k.isdecimal() and len(k) <= len(str(MAX_LATENT)) and int(k) < MAX_LATENT for k in raw_values):
            raise ExportError("spec.edit.raw_values: its keys must be latent indices")
        spec = cls(
            mode=_typed(raw, "mode", str, "random"),
            count=_integer(raw, "count", 16, least=1, most=MAX_IMAGES),  # one range, whatever is wrong with it
            seed=_integer(raw, "seed", 0),
            edit=LatentEdit(
                seed=_integer(edit, "seed", 0),
                direction_values=_vector(edit.get("direction_values", []), "spec.edit.direction_values"),
                raw_values={int(k): _number(v, f"spec.edit.raw_values.{k}") for k, v in raw_values.items()},
                truncation=_number(edit.get("truncation", 1.0), "spec.edit.truncation"),
            ),
            directions=None
            if raw.get("directions") is None
            else [
                _vector(d, f"spec.directions[{i}]") for i, d in enumerate(_sized(raw["directions"], "spec.directions"))
            ],
            a=None if raw.get("a") is None else _vector(raw["a"], "spec.a"),
            b=None if raw.get("b") is None else _vector(raw["b"], "spec.b"),
            direction_index=_integer(raw, "direction_index", 0),
            sweep_range=_number(raw.get("sweep_range", 3.0), "spec.sweep_range"),
            scale=_integer(raw, "scale", 1),
            label=None if raw.get("label") is None else _integer(raw, "label", 0),
            label_b=None if raw.get("label_b") is None else _integer(raw, "label_b", 0),
        )
        return spec

    def morph_ends(self) -> tuple[int, int]:
        """A class morph's first and last class, which validate() makes sure it has."""
        if self.label is None or self.label_b is None:
            raise ExportError("a class morph needs the classes it starts (label) and ends at (label_b)")
        return self.label, self.label_b

    def validate(self, latent_dim: int, num_classes: int = 0) -> None:
        if self.mode not in MODES:
            raise ExportError(f"unknown image-set kind {self.mode!r}")
        if num_classes:
            if self.label is None and self.mode != "class-sweep":
                raise ExportError("a conditional generator's image set needs a class (label)")
            for label in (self.label, self.label_b):
                if label is not None and not 0 <= label < num_classes:
                    raise ExportError(f"class {label} is outside the generator's {num_classes} classes")
            if self.mode == "class-morph" and self.label_b is None:
                raise ExportError("a class morph needs the class it ends at (label_b)")
            if self.mode == "class-sweep" and self.count * num_classes > MAX_IMAGES:
                raise ExportError(f"a class sweep makes classes x steps images: at most {MAX_IMAGES:,}")
        elif self.mode in CLASS_MODES or self.label is not None or self.label_b is not None:
            raise ExportError("classes need a class-conditional generator")
        if not 1 <= self.count <= MAX_IMAGES:
            raise ExportError(f"count must be a whole number from 1 to {MAX_IMAGES:,}")  # as a manifest's says
        if self.scale not in SCALES:
            raise ExportError("scale must be 1, 2 or 4")
        if self.mode == "interpolation" and (self.a is None or self.b is None):
            raise ExportError("an interpolation needs both A and B")
        if self.mode in ("sweep", "class-sweep") and (
            not self.directions or not 0 <= self.direction_index < len(self.directions)
        ):
            raise ExportError("a sweep needs a direction")
        for latent in (self.a, self.b):
            if latent is not None and len(latent) != latent_dim:
                raise ExportError("interpolation endpoints do not match the generator's latent size")
        if any(len(d) != latent_dim for d in self.directions or []):
            raise ExportError("the directions do not match the generator's latent size")
        if any(not 0 <= i < latent_dim for i in self.edit.raw_values):
            raise ExportError("a slider's latent index is outside the generator's latent size")
        if len(self.edit.direction_values) > len(self.directions or []):
            raise ExportError("there are more direction values than directions")
        if not 0 <= self.edit.truncation <= 10 or abs(self.sweep_range) > 1000:  # 0: the explorer's mean image
            raise ExportError("truncation must be from 0 to 10 and the sweep range at most 1,000")


def latents_for(spec: ImageSetSpec, latent_dim: int, num_classes: int = 0) -> np.ndarray:
    """(N, latent_dim) float32 latents the spec describes; the single source of truth for regeneration."""
    spec.validate(latent_dim, num_classes)
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
    elif spec.mode == "class-morph":
        z = np.repeat(spec.edit.compose(latent_dim, dirs)[None], spec.count, axis=0)
    else:
        if dirs is None:  # validate() said so already
            raise ExportError("a sweep needs a direction")
        centre = spec.edit.compose(latent_dim, dirs)
        values = np.linspace(-spec.sweep_range, spec.sweep_range, spec.count)
        z = np.stack([centre + v * dirs[spec.direction_index] * spec.edit.truncation for v in values])
        if spec.mode == "class-sweep":
            z = np.tile(z, (num_classes, 1))  # rows: classes, columns: steps
    return np.ascontiguousarray(z.astype(np.float32))


def morph_steps(count: int) -> np.ndarray:
    """t from 0 to 1 over count frames (one frame: t = 0)."""
    return np.linspace(0.0, 1.0, count) if count > 1 else np.zeros(1)


def class_weights_for(spec: ImageSetSpec, num_classes: int) -> np.ndarray | None:
    """(N, C) float32 class weights for each image of the set (one-hot but for a class morph's
    frames); None for an unconditional generator."""
    if not num_classes:
        return None
    if spec.mode == "class-morph":
        start, end = spec.morph_ends()
        return np.stack([class_mix(start, end, float(t), num_classes) for t in morph_steps(spec.count)])
    if spec.mode == "class-sweep":
        labels = np.repeat(np.arange(num_classes), spec.count)
    else:
        labels = np.full(spec.count + (1 if spec.mode == "neighbours" else 0), spec.label)
    return np.eye(num_classes, dtype=np.float32)[labels]


def image_classes(spec: ImageSetSpec, class_names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each image's class as the manifest records it: {"class": name}, or for a morph frame
    {"class": A, "towards": B, "t": t}."""
    weights = class_weights_for(spec, len(class_names))
    if weights is None:
        return []
    if spec.mode == "class-morph":
        start, end = spec.morph_ends()
        a, b = class_names[start], class_names[end]
        return [{"class": a, "towards": b, "t": float(t)} for t in morph_steps(spec.count)]
    return [{"class": class_names[int(i)]} for i in weights.argmax(axis=1)]


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest_if_readable(path: Path) -> str | None:
    """None for a file moved, deleted or made unreadable since it was opened: the set then carries the
    generator it was drawn from rather than naming what is no longer there."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def _pictures(snapshot: GeneratorSnapshot, z: np.ndarray, weights: np.ndarray | None, scale: int) -> list[np.ndarray]:
    latents = torch.from_numpy(z)
    images = snapshot.images(latents) if weights is None else snapshot.images_mixed(latents, torch.from_numpy(weights))
    out = []
    for image in images:
        picture = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
        out.append(upscale_nearest(np.ascontiguousarray(picture), scale))
    return out


def _write_files(
    folder: Path,
    snapshot: GeneratorSnapshot,
    z: np.ndarray,
    weights: np.ndarray | None,
    spec: ImageSetSpec,
    row_names: list[str],
    progress: Callable[[int, int], None] | None,
) -> list[str]:
    """Draws and writes the images SET_CHUNK at a time, keeping only what the contact sheet and the
    animation show: a set of 10,000 large pictures held whole took gigabytes. row_names: the contact
    sheet's row names, or [] when its rows are not classes. progress(written, total) after each chunk; an
    exception it raises ends the set (the caller removes what was written)."""
    from PIL import Image

    names: list[str] = []
    shown: list[np.ndarray] = []
    frames: list[np.ndarray] = []
    frame_every = -(-len(z) // GIF_FRAMES)
    for start in range(0, len(z), SET_CHUNK):
        chunk = slice(start, start + SET_CHUNK)
        pictures = _pictures(snapshot, z[chunk], None if weights is None else weights[chunk], spec.scale)
        for i, picture in enumerate(pictures, start):
            name = f"image_{i:04d}.png"
            Image.fromarray(picture).save(folder / name, format="PNG")
            names.append(name)
            if i < SHEET_IMAGES:
                shown.append(picture)
            if i % frame_every == 0:
                frames.append(picture)
        if progress is not None:
            progress(len(names), len(z))
    stack = np.stack([p[None] if p.ndim == 2 else p.transpose(2, 0, 1) for p in shown])
    nrow = spec.count if spec.mode == "class-sweep" else 8
    sheet = image_grid(stack, nrow=min(nrow, len(shown)), fill=255)
    if row_names:
        sheet = with_row_names(sheet, row_names[: -(-len(shown) // nrow)], shown[0].shape[0])
    Image.fromarray(sheet).save(folder / "contact_sheet.png")
    save_npy(folder / "latents.npy", z)
    if spec.mode in PATH_MODES and spec.mode != "class-sweep":  # one path, one animation (a class sweep has a row each)
        gif = [Image.fromarray(p) for p in frames]
        gif[0].save(folder / "animation.gif", save_all=True, append_images=gif[1:] + gif[-2:0:-1], duration=80, loop=0)
    return names


def held_by_a_run(checkpoint: str | Path) -> bool:
    """Whether a run folder holds this file, and may change or remove it: a watched run rewrites its
    snapshot.pt every few seconds, latest.pt and best.pt as it trains, a rewind writes a step_N.pt again,
    and `--restart` deletes them all. A set that only named such a file could not be regenerated once
    it changed."""
    from ganstudio.core.runlog import SNAPSHOT_FILE

    return Path(checkpoint).name == SNAPSHOT_FILE or run_folder_of(checkpoint) is not None


def destination_problem(dest: Path, config: RunConfig | None = None) -> str | None:
    """Why a set cannot be written into dest, known before a picture is drawn: the save dialog says it
    with its choices still open, and write_image_set refuses with it. config: the generator's run, whose image
    folder the set may not go into. The dialog capitalises the reason (sentence() leaves a path as it is)."""
    if config is not None and (inside := inside_training_images(dest, config)) is not None:
        return inside
    if dest.exists():
        return f"the set's folder {dest} already exists; choose another name"
    if not dest.parent.is_dir():
        return f"there is no folder {dest.parent}"
    if (reason := cannot_write_in(dest.parent)) is not None:
        return f"cannot write to {dest.parent}: {reason}"  # as the set's temp folder would fail, said before drawing
    return None


def write_image_set(
    snapshot: GeneratorSnapshot,
    spec: ImageSetSpec,
    dest: str | Path,
    checkpoint: str | Path | None = None,
    checkpoint_sha256: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Writes the set into dest (which must not exist yet). Without a checkpoint file (a live run), or from
    one a run folder holds, the generator is saved inside the set as generator.pt so the manifest stays
    reproducible; a checkpoint of the user's own is named by its path and SHA-256. checkpoint_sha256: the
    file's digest when the snapshot was loaded from it; a file that has changed since (overwritten by
    another training) is not named, its generator.pt is, as the images were drawn from the snapshot.
    progress: as _write_files'; what it raises ends the set and leaves nothing behind."""
    dest = Path(dest).expanduser()
    problem = destination_problem(dest, snapshot.config)
    if problem is not None:
        raise ExportError(problem)
    parent = dest.parent
    z = latents_for(spec, snapshot.latent_dim, snapshot.num_classes)
    weights = class_weights_for(spec, snapshot.num_classes)
    remove_stale_partial_folders(parent)  # what an export killed mid-write left there
    try:
        tmp = partial_folder(dest)
    except OSError as exc:
        raise ExportError(f"cannot write to {parent}: {exc.strerror}") from None
    try:
        current = None if checkpoint is None or held_by_a_run(checkpoint) else _digest_if_readable(Path(checkpoint))
        if current is None or checkpoint_sha256 not in (None, current):
            from ganstudio.core.checkpoint import save_checkpoint
            from ganstudio.core.trainer_state import CHECKPOINT_FORMAT, CHECKPOINT_VERSION

            save_checkpoint(
                {
                    "format": CHECKPOINT_FORMAT,
                    "version": CHECKPOINT_VERSION,
                    "config": snapshot.config.to_dict(),
                    "step": snapshot.step,
                    "class_names": list(snapshot.class_names),
                    "generator": snapshot.generator.state_dict(),
                },
                tmp / "generator.pt",
            )
            checkpoint_ref, checkpoint_file = "generator.pt", tmp / "generator.pt"
        else:
            assert checkpoint is not None
            checkpoint_file = Path(checkpoint).resolve()
            checkpoint_ref = str(checkpoint_file)
        row_names = list(snapshot.class_names) if spec.mode == "class-sweep" else []
        names = _write_files(tmp, snapshot, z, weights, spec, row_names, progress)
        manifest = {
            "format": "ganstudio-image-set",
            "version": MANIFEST_VERSION,
            "ganstudio": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "checkpoint": checkpoint_ref,
            "checkpoint_sha256": current if checkpoint_ref != "generator.pt" else sha256_file(checkpoint_file),
            "step": snapshot.step,
            "spec": spec.to_dict(),
            "images": names,
            **(
                {"class_names": list(snapshot.class_names), "image_classes": image_classes(spec, snapshot.class_names)}
                if snapshot.is_conditional
                else {}
            ),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.rename(tmp, dest)
    except (OSError, CheckpointError) as exc:  # generator.pt's save says why in its own words
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, CheckpointError):
            reason = exc.write_reason or str(exc)
        else:
            reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise ExportError(f"could not write the image set to {dest}: {reason}; nothing was left behind") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def read_manifest(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"manifest not found: {path}" if not path.exists() else f"{path} is not a regular file")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ExportError(f"{path} is over {MAX_MANIFEST_BYTES >> 20} MB; a manifest is a few KB")
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):  # a zip: a checkpoint or generator.pt, given where its set's manifest goes
        raise ExportError(f"{path} is a checkpoint, not an image set's manifest.json")
    try:
        manifest = parse_json(data.decode("utf-8"), "manifest")
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not a valid manifest: it is not UTF-8 text") from None
    except ConfigError as exc:  # bad JSON, a key given twice, a 5,000-digit number, deep nesting
        raise ExportError(f"{path} is not a valid manifest: {exc.problems[0][1]}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "ganstudio-image-set":
        raise ExportError(f"{path} is not a GAN Studio image-set manifest")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ExportError(f"{path}: its version must be a whole number")
    if not 1 <= version <= MANIFEST_VERSION:
        raise ExportError(f"{path}: manifest version {version}; this GAN Studio reads version {MANIFEST_VERSION}")
    if not isinstance(manifest.get("checkpoint"), str) or not manifest["checkpoint"]:
        raise ExportError(f"{path}: its checkpoint must be a file name")
    digest = manifest.get("checkpoint_sha256")
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ExportError(f"{path}: its checkpoint_sha256 must be 64 hexadecimal digits")
    return manifest


class NotTheSetsCheckpoint(ExportError):
    """The checkpoint is missing, moved or changed: a user who knows where it went may name it instead."""


def manifest_checkpoint(manifest_path: Path, manifest: dict[str, Any], given: str | Path | None = None) -> Path:
    """The checkpoint a manifest names (or the one the user gives for it, a checkpoint moved or renamed since),
    checked before a byte of it is hashed. A manifest comes from anywhere, so it may name only a .pt file (the
    set's own generator.pt, or the checkpoint it was saved from), never a path that climbs out of its folder or
    starts at ~; and what is wrong with the file is said in one way (missing, not a regular file, too large, or
    changed), so a manifest cannot probe what exists. Either file must have the SHA-256 the manifest records."""
    from ganstudio.core.checkpoint import MAX_CHECKPOINT_BYTES

    named = Path(manifest["checkpoint"])
    if named.suffix != ".pt" or ".." in named.parts or str(named).startswith("~"):
        raise ExportError(f"{manifest_path}: its checkpoint must be a .pt file, in its folder or by full path")
    checkpoint = named if named.is_absolute() else manifest_path.parent / named
    if given is not None:
        checkpoint = Path(given).expanduser()
    if (
        not checkpoint.is_file()
        or checkpoint.stat().st_size > MAX_CHECKPOINT_BYTES
        or sha256_file(checkpoint) != manifest["checkpoint_sha256"]
    ):
        # the user's own file has nothing to probe: say what differs
        why = (
            "missing, moved or changed" if given is None else f"not the file whose SHA-256 {manifest_path.name} records"
        )
        raise NotTheSetsCheckpoint(f"{checkpoint} is not the checkpoint the set was made from ({why})")
    return checkpoint


@dataclass(frozen=True)
class Regeneration:
    """A manifest read and checked against its checkpoint, before anything is written: the window asks where
    to write only once it knows the set can be made."""

    snapshot: GeneratorSnapshot
    spec: ImageSetSpec
    checkpoint: Path
    digest: str
    own_generator: bool  # the set's own generator.pt: the copy carries its own

    def write(self, out: str | Path, progress: Callable[[int, int], None] | None = None) -> Path:
        if sha256_file(self.checkpoint) != self.digest:  # replaced between the check and now
            raise ExportError(
                f"{self.checkpoint} is not the checkpoint the set was made from (missing, moved or changed)"
            )
        return write_image_set(
            self.snapshot,
            self.spec,
            out,
            checkpoint=None if self.own_generator else self.checkpoint,
            checkpoint_sha256=self.digest,
            progress=progress,
        )


def plan_regeneration(manifest_path: str | Path, checkpoint: str | Path | None = None) -> Regeneration:
    """Reads a set's manifest and its checkpoint (checking the checkpoint's SHA-256 first); raises ExportError,
    CheckpointError or OSError for a set that cannot be made again. checkpoint: where the set's checkpoint is
    now, when it moved (the manifest's own is not looked for)."""
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    try:
        spec = ImageSetSpec.from_dict(manifest.get("spec"))
    except ExportError as exc:  # "count must be a whole number >= 0" did not say which file
        raise ExportError(f"{manifest_path}: {exc}") from None
    checkpoint = manifest_checkpoint(manifest_path, manifest, given=checkpoint)
    snapshot = load_generator(checkpoint, device="cpu")
    try:
        spec.validate(snapshot.latent_dim, snapshot.num_classes)
    except ExportError as exc:  # the set's own count or classes, named with its file as the spec's types are
        raise ExportError(f"{manifest_path}: {exc}") from None
    if manifest.get("class_names", []) != list(snapshot.class_names):
        raise ExportError(f"the manifest's classes are not those of {checkpoint}")
    if "image_classes" in manifest and manifest["image_classes"] != image_classes(spec, snapshot.class_names):
        raise ExportError(  # a copy would record the spec's classes over the file's, and call the set the same
            f"{manifest_path}: its image_classes are not the classes its spec draws (edited since it was saved?)"
        )
    own = not Path(manifest["checkpoint"]).is_absolute()  # whichever file was named: its SHA-256 is the set's own
    return Regeneration(snapshot, spec, checkpoint, manifest["checkpoint_sha256"], own)


def regenerate(manifest_path: str | Path, out: str | Path, checkpoint: str | Path | None = None) -> Path:
    """Rebuilds an image set from its manifest (and its checkpoint where it is now, when it moved)."""
    return plan_regeneration(manifest_path, checkpoint).write(out)


def sets_folder_for(checkpoint: str | Path) -> Path:
    """Where image sets from this checkpoint go unless the user says otherwise: its run folder, not the
    checkpoints/ the run rewrites; beside an image set whose own generator.pt it is, not inside the set
    (a set regenerated there ended up nested in the old one); else its own folder."""
    from ganstudio.core.runlog import run_of_checkpoint

    run = run_of_checkpoint(checkpoint)
    folder = run.path if run is not None else Path(checkpoint).resolve().parent
    return folder.parent if (folder / "manifest.json").is_file() else folder


@dataclass(frozen=True)
class RegenerationCheck:
    """How a regenerated set compares with the saved one, image for image; str() says it in words."""

    compared: int  # the saved set's images read, each compared with its regenerated twin
    differing: int
    unread: int  # saved images removed, moved or unreadable since the set was saved

    def __str__(self) -> str:
        if not self.compared:
            return "the saved set's images are not there to compare with"
        said = (
            f"{self.differing:,} of the {self.compared:,} images "
            f"{'differs' if self.differing == 1 else 'differ'} from the saved set's"
            if self.differing
            else f"{'its image is' if self.compared == 1 else f'all {self.compared:,} images are'} byte for byte "
            "the saved set's"
        )
        return f"{said}; {self.unread:,} of the saved set's images could not be read" if self.unread else said


def regeneration_check(manifest_path: str | Path, remade: Path) -> RegenerationCheck:
    """Whether the remade set's images are the saved set's byte for byte: what "regenerated exactly" means,
    checked against the saved images where they still are. Never raised: the set is written by then, and a
    saved image gone or unreadable is counted as such."""
    saved = Path(manifest_path).parent
    names = json.loads((remade / "manifest.json").read_text(encoding="utf-8"))["images"]  # written here
    differing = unread = 0
    for name in names:
        try:
            differing += (saved / name).read_bytes() != (remade / name).read_bytes()
        except OSError:  # removed, moved or unreadable since the set was saved
            unread += 1
    return RegenerationCheck(len(names) - unread, differing, unread)
