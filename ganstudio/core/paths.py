"""Where GAN Studio keeps its files by default."""

from __future__ import annotations

import errno
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from platformdirs import user_data_path


def bundled(name: str) -> Traversable:
    """A bundled resource (dataset, feature-network weights, icon). Installed, it is package data of
    ganstudio.resources (the wheel maps the top-level resources/ there); run from a source checkout,
    where the checkout's ganstudio/ comes first on sys.path, it is resources/ beside that package."""
    try:
        return resources.files("ganstudio.resources").joinpath(name)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources" / name


def make_folders(path: Path) -> list[Path]:
    """mkdir -p that says which folders it made, outermost first, so that a failed write takes back exactly
    those (remove_made_folders) and never one another process made meanwhile; a failure part way takes its
    own back before raising."""
    missing = []
    folder = path
    while not (folder.exists() or folder.is_symlink()) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:  # made by someone else since the look: theirs, not ours to remove
                continue
            made.append(folder)
    except OSError:
        remove_made_folders(made)
        raise
    return made


def remove_made_folders(made: list[Path]) -> None:
    """The folders make_folders made, innermost first, each only while empty: what another process put
    there meanwhile stays, and so do the folders above it."""
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            return


def user_data_dir() -> Path:
    return user_data_path("ganstudio", appauthor=False)


def default_runs_dir() -> Path:
    return user_data_dir() / "runs"


DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def find_fashion_full(path: str | None = None) -> Path | None:
    """The folder holding a Fashion-MNIST training split in idx form, if there is one."""
    folder = Path(path).expanduser() if path else DEBIAN_FASHION_DIR
    if folder.is_dir() and sorted(folder.glob("train-images-idx3-ubyte*")):
        return folder
    return None


def find_fashion_labels(folder: Path) -> Path | None:
    """The training labels beside a Fashion-MNIST split (find_fashion_full's folder), if they are there."""
    files = sorted(folder.glob("train-labels-idx1-ubyte*"))
    return files[0] if files else None


def free_name(folder: Path, stem: str, suffix: str = "", tries: int = 1000) -> Path:
    """folder/stem+suffix, or stem-2, stem-3, ... : the first name nothing holds yet. FileExistsError after
    `tries` (past that, the folder is a mistake to say, not a name to number)."""
    for n in range(1, tries + 1):
        path = folder / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        if not path.exists():
            return path
    raise FileExistsError(errno.EEXIST, f"{tries:,} names like {stem}{suffix} are taken already", str(folder))


def is_hidden(name: str) -> bool:
    """A file or folder an image folder's reading passes by (.thumbnails, .DS_Store, a sync tool's .trash)."""
    return name.startswith(".")
