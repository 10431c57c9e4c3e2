"""Images to classify, from what a user has at hand: a folder of image files, one image file, a .npy array
or an idx file as (Fashion-)MNIST ships them. Unreadable files in a folder are skipped and counted."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganstudio.core.data.errors import DataError
from ganstudio.core.data.idx import MAX_IDX_BYTES, IdxError, IdxTooLarge, read_idx
from ganstudio.core.data.images import IMAGE_SUFFIXES, is_regular_file, training_image, visible_walk
from ganstudio.core.data.npy_file import read_npy
from ganstudio.core.semi.stopped import Stopped
from ganstudio.core.wording import counted, first_named

IDX_NAME = re.compile(r".*-images-idx3-ubyte(\.gz)?$")
MAX_IMAGES = 1_000_000
MAX_ROW_PIXELS = 4096 * 4096  # an array's image: larger is no picture to classify at the models' sizes


@dataclass(frozen=True)
class ImageInputs:
    images: np.ndarray  # uint8 (N, C, H, W): pictures as the model takes them, arrays' rows as they are (C = 1)
    names: list[str]  # one per image: its file name, or "FILE:INDEX" for an array's rows
    skipped: list[str]  # files in a folder that could not be read as images, as names are given


def read_image_inputs(
    path: str | Path, size: int, channels: int, should_stop: Callable[[], bool] = lambda: False
) -> ImageInputs:
    """Pictures are read in the model's colours (channels) and brought to its size as the training reads a
    folder of them; arrays are grayscale rows of any size, fitted later a chunk at a time. Raises DataError
    (one line) for a path that is none of the kinds, or holds no readable image; Stopped as soon as
    should_stop() is True between two files of a folder (hours of them, dropped on the window)."""
    path = Path(path).expanduser()
    if path.is_dir():
        return _read_folder(path, size, channels, should_stop)
    if not path.exists():
        raise DataError(f"not found: {path}")
    if not is_regular_file(path):
        raise DataError(f"{path} is not a regular file")
    if path.suffix.lower() == ".npy":
        return _rows(path, read_npy(path, MAX_IDX_BYTES, "an image set"))
    if IDX_NAME.match(path.name):
        try:
            images = read_idx(path, max_items=MAX_IMAGES)
        except IdxTooLarge as exc:  # said before its images are read
            many = len(exc.shape) > 1 and exc.shape[0] > MAX_IMAGES
            raise DataError(
                f"{path} holds {exc.shape[0]:,} images, over the {MAX_IMAGES:,} classified at once"
                if many
                else str(exc)
            ) from None
        except IdxError as exc:
            raise DataError(str(exc)) from None
        return _rows(path, images)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = _read_image(path, size, channels)
        if image is None:
            raise DataError(f"{path} {_why_unread(path)}")
        return ImageInputs(image[None], [path.name], [])
    raise DataError(
        f"{path} is not a folder of images, an image file, a .npy of (N, 28, 28) uint8 "
        "or an idx file (*-images-idx3-ubyte[.gz])"
    )


def _rows(path: Path, images: np.ndarray) -> ImageInputs:
    if images.dtype == np.uint8 and images.ndim == 3 and not len(images):
        raise DataError(f"{path} holds no image (shape {images.shape}): there is nothing to classify")
    if images.dtype != np.uint8 or images.ndim != 3 or 0 in images.shape:
        raise DataError(
            f"{path} holds {images.dtype} {images.shape}; expected uint8 images (N, H, W), e.g. (N, 28, 28)"
        )
    if len(images) > MAX_IMAGES:
        raise DataError(f"{path} holds {len(images):,} images, over the {MAX_IMAGES:,} classified at once")
    if images.shape[1] * images.shape[2] > MAX_ROW_PIXELS:
        raise DataError(
            f"{path} holds images of {images.shape[2]:,}x{images.shape[1]:,} pixels, over the "
            f"{MAX_ROW_PIXELS:,} classified: bring them to the model's size first"
        )
    return ImageInputs(np.ascontiguousarray(images)[:, None], [f"{path.name}:{i}" for i in range(len(images))], [])


def _read_image(path: Path, size: int, channels: int) -> np.ndarray | None:
    """A uint8 (C, size, size) image, cropped and resized as load_image_folder makes a training image of it
    (an RGB run's pictures in colour: read as gray, two colours of one brightness were one); None if
    unreadable. An image over PIL's decompression-bomb size (about 90 megapixels; PIL would warn on stderr
    and decode it) is not read either: it is no picture to classify at a model's size. A JPEG decodes at a
    fraction of its size, so a folder of photos costs a few KB an image, not tens of MB."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # read_picture then returns None
        return training_image(path, "L" if channels == 1 else "RGB", size)


def _why_unread(path: Path) -> str:
    """Why _read_image gave None: a picture over PIL's bomb size is named for its size, not called unreadable."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    shrink = "bring it down to the model's size"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
    except Image.DecompressionBombError:  # over twice the limit: PIL will not even say its size
        return f"has more than twice the {limit or 0:,} pixels read here: {shrink}"
    except Exception:  # noqa: BLE001 - whatever PIL raises, the file is no picture it can open
        return "is not a readable image"
    if limit and width * height > limit:
        return f"is {width:,}x{height:,} pixels, over the {limit:,} read here: {shrink}"
    return "is not a readable image"


def _image_files(folder: Path, should_stop: Callable[[], bool]) -> list[Path]:
    """The folder's image files, sorted; refused before any is read when there are more than MAX_IMAGES
    (the walk stops there, so a drop of / or ~ costs a bounded listing)."""
    files: list[Path] = []
    for root, _dirs, names in visible_walk(folder):  # as training reads a folder: no .thumbnails
        if should_stop():
            raise Stopped(f"stopped looking for images in {folder}")
        files += [Path(root) / name for name in names if Path(name).suffix.lower() in IMAGE_SUFFIXES]
        if len(files) > MAX_IMAGES:
            raise DataError(
                f"{folder} holds more than {MAX_IMAGES:,} image files, the most classified at once: "
                "classify its subfolders one by one"
            )
    return sorted(files)


def _read_folder(folder: Path, size: int, channels: int, should_stop: Callable[[], bool]) -> ImageInputs:
    files = _image_files(folder, should_stop)
    images: list[np.ndarray] = []
    names: list[str] = []
    skipped: list[str] = []
    for file in files:
        if should_stop():
            raise Stopped(f"stopped after {counted(len(images) + len(skipped), 'file')} of {len(files):,}")
        image = _read_image(file, size, channels) if is_regular_file(file) else None  # a FIFO would block open()
        if image is None:
            skipped.append(str(file.relative_to(folder)))
            continue
        images.append(image)
        names.append(str(file.relative_to(folder)))
    if not images:
        extra = f" ({counted(len(skipped), 'unreadable file')} skipped: {first_named(skipped)})" if skipped else ""
        raise DataError(f"no readable image in {folder}{extra}")
    return ImageInputs(np.stack(images), names, skipped)
