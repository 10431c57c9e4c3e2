"""Checkpoint files: atomic writes and safe, bounded loads.

A checkpoint is never written in place (a crash mid-write would lose the last good one), and
never loaded with full unpickling (a checkpoint from the internet could run code). A file from
elsewhere is also checked before it is read and before it touches a model: its declared size
(a few MB of compressed zeros can unpack to gigabytes), its fields' types, and its tensors'
names and shapes against the model its config describes — every failure one CheckpointError.
"""

from __future__ import annotations

import errno
import pickle
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import torch
from torch import nn

from ganstudio.core.atomic import atomic_write, make_subfolder
from ganstudio.core.optimizer_state import optimizer_state_problem
from ganstudio.core.runlog import is_step
from ganstudio.core.trainer_state import CHECKPOINT_FORMAT, CHECKPOINT_VERSION
from ganstudio.core.wording import first_named

if TYPE_CHECKING:
    from ganstudio.core.trainer import Trainer

# torch.save stores its entries uncompressed, so a real checkpoint unpacks to its own size. The
# largest model the memory check accepts (core/footprint.py) with its EMA copy and Adam's two
# moments fits under this.
MAX_CHECKPOINT_BYTES = 4 << 30
FULL_BELOW_BYTES = 1 << 20  # a folder with less free space than this is full for a checkpoint's purposes


MAX_WORLD_SIZE = 1024  # as `train --nproc` accepts
MAX_CLASSES = 10_000  # an image folder's subfolders; more is a mistake, not a dataset


class CheckpointError(RuntimeError):
    def __init__(self, message: str, write_reason: str = "") -> None:
        """write_reason: for a failed save, why the write failed ("the disk is full"), for callers that
        save a checkpoint as part of something else and say so in their own words."""
        super().__init__(message)
        self.write_reason = write_reason


def class_names_of(state: dict[str, Any]) -> tuple[str, ...]:
    """The classes a checkpoint's model was conditioned on (empty for an unconditional one)."""
    return tuple(state.get("class_names", []))


def _write_reason(exc: BaseException, folder: Path) -> str:
    """Why a save failed, in words: torch.save reports a short write as a RuntimeError quoting its C++
    source ("[enforce fail at inline_container.cc:...]"), which says nothing to a user."""
    if isinstance(exc, OSError):
        return "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
    if "No space left" in str(exc) or _nearly_full(folder):
        return "the disk is full"
    if "inline_container" in str(exc) or "PytorchStreamWriter" in str(exc):
        return "the file could not be written whole (a full disk, a quota or a file size limit)"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _nearly_full(folder: Path) -> bool:
    """Whether less than FULL_BELOW_BYTES are free where the checkpoint goes (for torch's RuntimeError,
    which carries no errno)."""
    try:
        return shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return False


def _save(state: dict[str, Any], tmp: str) -> None:
    """torch.save names the zip's folder after the file it is given, here a temp file's random name; given
    an open file it names it "archive": the same state saves to the same bytes (an image set regenerated
    from its manifest matches, generator.pt too)."""
    with open(tmp, "wb") as fh:
        torch.save(state, fh)


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """A failed write (full disk, read-only folder) leaves the previous file as it was."""
    existed = Path(path).is_file()
    try:
        return atomic_write(make_subfolder(Path(path).parent) / Path(path).name, lambda tmp: _save(state, tmp))
    except FileNotFoundError as exc:  # the run folder was removed or moved while the run trained
        raise CheckpointError(f"could not save the checkpoint {path}: {exc.strerror}", exc.strerror or "") from None
    except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as a RuntimeError
        kept = "the previous one is kept" if existed else "there was none before it"
        reason = _write_reason(exc, Path(path).parent)
        raise CheckpointError(f"could not save the checkpoint {path}: {reason}; {kept}", reason) from None


def _check_declared_size(path: Path) -> None:
    """Refuses before reading: what the zip says it unpacks to must fit the file and the limit."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable checkpoint (corrupt or truncated): {exc}") from None
    declared = sum(e.file_size for e in entries)
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries) or declared > path.stat().st_size:
        raise CheckpointError(
            f"{path} was refused: it holds compressed data that would unpack to "
            f"{declared / 2**20:,.0f} MB (GAN Studio checkpoints are never compressed)"
        )
    if declared > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"{path} was refused: {declared / 2**30:.1f} GB is over the "
            f"{MAX_CHECKPOINT_BYTES / 2**30:.0f} GB that the largest model GAN Studio trains needs"
        )


# A sparse tensor in a checkpoint is refused in one line by _check_fields; torch's warning on loading it
# would add two more. A filter by message: catch_warnings would change every thread's filters meanwhile.
warnings.filterwarnings("ignore", message="Validating sparse tensor invariants", category=UserWarning)


def _is_plain_tensor(value: object) -> TypeGuard[torch.Tensor]:
    """A dense tensor of real numbers: what GAN Studio saves. Sparse, quantized and complex ones load (with
    torch's warnings on stderr) and then fail or lose their imaginary part inside load_state_dict."""
    return (
        isinstance(value, torch.Tensor)
        and value.layout == torch.strided
        and not value.is_quantized
        and not value.is_complex()
    )


def _is_tensor_dict(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and _is_plain_tensor(v) for k, v in value.items())


def _check_fields(path: Path, state: object) -> dict[str, Any]:
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a GAN Studio checkpoint")
    if not is_step(state.get("version")):
        raise CheckpointError(f"{path}: its format version is not a whole number")
    if state["version"] > CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} was written by a newer GAN Studio (format {state['version']})")
    if not is_step(state.get("step")):
        raise CheckpointError(f"{path}: its step is not a whole number >= 0")
    if not isinstance(state.get("config"), dict):
        raise CheckpointError(f"{path}: it holds no config")
    names = state.get("class_names", [])
    if (
        not isinstance(names, list)
        or len(names) > MAX_CLASSES
        or not all(isinstance(n, str) and 0 < len(n) <= 200 for n in names)
    ):
        raise CheckpointError(f"{path}: its class names must be a list of at most {MAX_CLASSES:,} short names")
    for key in ("generator", "generator_ema", "discriminator"):
        if (key in state or key == "generator") and not _is_tensor_dict(state.get(key)):
            raise CheckpointError(f"{path}: its {key} weights are missing or not plain tensors of real numbers")
    _check_ranks(path, state)
    return state


def _check_ranks(path: Path, state: dict[str, Any]) -> None:
    """A run saved under torchrun keeps each rank's random state; a resume on as many ranks hands them out."""
    world_size = state.get("world_size", 1)
    if not isinstance(world_size, int) or isinstance(world_size, bool) or not 1 <= world_size <= MAX_WORLD_SIZE:
        raise CheckpointError(f"{path}: its world_size must be a whole number from 1 to {MAX_WORLD_SIZE}")
    rank_rng = state.get("rank_rng")
    if rank_rng is None:
        return
    rng = state.get("rng")
    shape = tuple(rng.shape) if isinstance(rng, torch.Tensor) else None
    if (
        not isinstance(rank_rng, list)
        or len(rank_rng) != world_size
        or not all(
            isinstance(t, torch.Tensor) and t.dtype == torch.uint8 and t.dim() == 1 and shape in (None, tuple(t.shape))
            for t in rank_rng
        )
    ):
        raise CheckpointError(
            f"{path}: its rank_rng must be a list of {world_size} random states (byte tensors), one per process"
        )


def _what_instead(path: Path) -> str:
    """What a file that is no checkpoint looks like: an image set's manifest.json, given where its
    generator goes, is said as such (it was "corrupt, truncated or not a torch file")."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(64).lstrip()
    except OSError:
        start = b""
    if start.startswith(b"{"):
        return "it is JSON: an image set's manifest.json is regenerated with `ganstudio sample --manifest` or File > Regenerate image set"
    return "corrupt, truncated or not a torch file"


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}" if not path.exists() else f"{path} is not a regular file")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path} is not a readable checkpoint ({_what_instead(path)})")
    _check_declared_size(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = next(
            (line.strip() for line in str(exc).splitlines() if "Unsupported global" in line),
            "objects other than tensors and plain data",
        )
        raise CheckpointError(f"{path} was refused: it holds code a safe load will not run ({reason})") from None
    except (UnicodeDecodeError, RecursionError):  # a damaged name, or nesting: Python's words say nothing more
        raise CheckpointError(f"{path} is not a readable checkpoint (corrupt or truncated)") from None
    except (
        RuntimeError,
        EOFError,
        zipfile.BadZipFile,
        ValueError,
        OSError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        MemoryError,
    ) as exc:
        raise CheckpointError(
            f"{path} is not a readable checkpoint (corrupt or truncated): "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    return _check_fields(path, state)


def load_module_state(module: nn.Module, weights: dict[str, Any], what: str) -> None:
    """load_state_dict with every mismatch said in one line: missing and unexpected names, wrong shapes."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    extra = sorted(set(weights) - set(expected))
    shapes = [
        name for name in expected if name in weights and tuple(weights[name].shape) != tuple(expected[name].shape)
    ]
    kinds = [  # load_state_dict would cast integers into the weights without a word
        name
        for name in expected
        if name in weights and weights[name].is_floating_point() != expected[name].is_floating_point()
    ]
    problems = []
    if missing:
        problems.append(
            f"missing {', '.join(missing[:3])}" + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        )
    if extra:
        problems.append(
            f"unexpected {', '.join(extra[:3])}" + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        )
    for name in shapes[:2]:
        problems.append(f"{name} is {list(weights[name].shape)} in the file, {list(expected[name].shape)} in the model")
    for name in kinds[:2]:
        problems.append(f"{name} holds {weights[name].dtype} in the file, {expected[name].dtype} in the model")
    if problems:
        raise CheckpointError(
            f"the checkpoint's {what} does not fit the model its config describes: " + "; ".join(problems)
        )
    try:
        module.load_state_dict(weights)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise CheckpointError(f"the checkpoint's {what} could not be loaded: {str(exc).splitlines()[0]}") from None


GENERATOR_ONLY = (
    "the checkpoint holds only a generator (an exported one?); it can be sampled and explored but not trained on"
)


def restore_trainer(trainer: Trainer, state: dict[str, Any]) -> None:
    """Trainer.load_state_dict for a state read from disk: networks checked by name and shape first,
    then optimizer, random-generator and noise state, any failure a CheckpointError. A conditional
    checkpoint's classes must be the data's, name for name and in order: class 3 of the weights
    must mean class 3 of the images it goes on training on."""
    saved = class_names_of(state)
    if saved != trainer.class_names:
        theirs, ours = (first_named(list(names), 6) or "none" for names in (saved, trainer.class_names))
        raise CheckpointError(f"the checkpoint's classes ({theirs}) are not the data's ({ours})")
    if (problem := trainer.restore_problem(state)) is not None:
        raise CheckpointError(problem)
    load_module_state(trainer.G, state["generator"], "generator")
    if "discriminator" not in state:
        raise CheckpointError(GENERATOR_ONLY)
    load_module_state(trainer.D, state["discriminator"], "discriminator")
    noise = state.get("fixed_noise")
    expected = trainer.fixed_noise
    if not _is_plain_tensor(noise) or noise.dtype != expected.dtype or tuple(noise.shape) != tuple(expected.shape):
        raise CheckpointError(
            f"the checkpoint's fixed noise is not a {expected.dtype} tensor of shape {list(expected.shape)}"
        )
    if not bool(torch.isfinite(noise).all()):
        raise CheckpointError("the checkpoint's fixed noise is not all finite numbers (NaN or Inf)")
    for what, key, optimizer in (("generator", "opt_g", trainer.opt_g), ("discriminator", "opt_d", trainer.opt_d)):
        problem = optimizer_state_problem(optimizer, state.get(key))
        if problem:
            raise CheckpointError(f"the checkpoint's {what} optimizer state {problem}")
    try:
        trainer.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise CheckpointError(
            f"the checkpoint's training state could not be restored: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
