"""A drawn dataset lives in its run folder, so a run never depends on a file somewhere else.

When a run starts, the painted points are copied to RUN/data/drawn.npy and config.json names the copy
by a path relative to the run folder ("data/drawn.npy"). It is resolved against wherever the folder is
when the run is loaded, so a folder that was moved or copied elsewhere still continues. Image folders
and datasets stay where the user keeps them, named in config.json as given.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ganstudio.core.atomic import atomic_write, make_subfolder
from ganstudio.core.config import DataConfig, RunConfig
from ganstudio.core.paths import is_hidden

DRAWN_COPY = "data/drawn.npy"


def data_named_absolutely(config: RunConfig) -> RunConfig:
    """The config with its data folder as an absolute path, so a resume or eval from another working folder
    reads the same data (a relative one read whatever that folder held under the same name), and from
    another account too ("~/images" read the home of whoever continued the run); spelt as a path, without a
    trailing slash, as the window's Browse gives it."""
    if not config.data.path:
        return config
    absolute = config.copy()
    absolute.data.path = str(Path(config.data.path).expanduser().absolute())  # "/pictures/" saved as "/pictures"
    return absolute


def adopt_drawn(config: RunConfig, folder: Path) -> RunConfig:
    """The config to train and save: for a drawn dataset, its points copied into folder and named there."""
    if config.data.dataset != "drawn" or config.data.path is None:  # check() refuses a drawn set without one
        return config
    from ganstudio.core.data.toy import load_drawn  # torch, which the window loads only when it trains
    from ganstudio.core.npy_save import save_npy

    points = load_drawn(str(Path(config.data.path).expanduser())).numpy()
    copy = folder / DRAWN_COPY
    make_subfolder(copy.parent)
    atomic_write(copy, lambda tmp: save_npy(tmp, points))
    adopted = config.copy()
    adopted.data.path = DRAWN_COPY
    return adopted


def discard_drawn(folder: Path) -> None:
    """Undoes adopt_drawn for a run that failed to start, so its folder can be removed as empty."""
    copy = folder / DRAWN_COPY
    copy.unlink(missing_ok=True)
    try:
        copy.parent.rmdir()
    except OSError:
        pass


def data_in_folder(data: DataConfig, folder: Path) -> DataConfig:
    """data with a drawn dataset's relative path resolved against the run folder it belongs to."""
    if data.dataset != "drawn" or not data.path or Path(data.path).expanduser().is_absolute():
        return data
    return dataclasses.replace(data, path=str(folder / data.path))


def config_in_folder(config: RunConfig, folder: Path) -> RunConfig:
    """A run's config as a front end shows it: its data named where it is now, ready for a new run too."""
    resolved = config.copy()
    resolved.data = data_in_folder(config.data, folder)
    return resolved


def inside_training_images(dest: Path, config: RunConfig) -> str | None:
    """Why generated images may not go to dest: an image-folder run trains on every picture under its folder but
    its hidden subfolders, so samples written there would become its own training data (a new subfolder a new
    class, which refuses a conditional run's resume). A path that cannot be resolved (a link loop, an unknown
    ~user, from a checkpoint made anywhere) names no folder anything is read from."""
    if config.data.dataset != "image-folder" or not config.data.path:
        return None
    try:
        folder = Path(config.data.path).expanduser().resolve()
        target = dest.expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not target.is_relative_to(folder) or any(is_hidden(part) for part in target.relative_to(folder).parts):
        return None  # the loader never reads a hidden folder (the runs folder under ~/.local)
    return (
        f"{dest} is inside {config.data.path}, the image folder the run trains on: images written there would "
        "become its training data; choose a folder outside it"
    )


def names_the_runs_data(named: DataConfig, trained: DataConfig) -> bool:
    """Whether `named` is the data a run trained on (same set, same folder), so its training part is known."""
    if named.dataset != trained.dataset:
        return False
    if named.path is None or trained.path is None:
        return named.path == trained.path
    return Path(named.path).expanduser().resolve() == Path(trained.path).expanduser().resolve()
