"""One image file a user chose, as 8-bit pixels the right way up; None when it cannot be read.

Users' folders hold photos, scans and exports of every kind. Pillow's decoders meet damaged files with
SyntaxError, TypeError, struct.error and more besides OSError, so any failure to decode is a skipped file,
counted by the caller, never a failed run. A phone photo's EXIF orientation is applied (its pixels are
stored sideways), and 16-bit grayscale is scaled to 8 bits (converted directly, Pillow clips it to white).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Pillow loads when a picture is read, not when the data package is imported
    import PIL.Image

# A large photo is no attack: Pillow warns on stderr above 89 megapixels (DecompressionBombWarning) and
# refuses above 179 anyway. By message, so Pillow need not load here.
warnings.filterwarnings("ignore", message=r"Image size \(\d+ pixels\) exceeds limit")


def read_picture(path: Path, mode: str, size: int | None = None) -> PIL.Image.Image | None:
    """The file's image in `mode` ("L" or "RGB"); with `size`, JPEGs decode at the smallest scale that
    still covers size x size, a fraction of a photo's full decode."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            if size is not None:
                im.draft(mode, (size, size))
            try:
                upright = ImageOps.exif_transpose(im)
            except Exception:  # noqa: BLE001 - a damaged EXIF block: the pixels as stored
                upright = im
            return _in_mode(upright, mode)
    except Exception:  # noqa: BLE001 - every decoder failure means the same: this file cannot be used
        return None


def _in_mode(image: PIL.Image.Image, mode: str) -> PIL.Image.Image:
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = np.asarray(image, dtype=np.int64)
        scale = 257 if wide.max(initial=0) > 255 else 1  # 16-bit data; an "I" image of 8-bit values stays
        image = Image.fromarray((wide // scale).clip(0, 255).astype(np.uint8), "L")
    elif image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")  # what Pillow asks for palette transparency, without its warning
    return image.convert(mode)
