"""Pictures as numpy arrays: sample grids, toy scatter plots, PNG files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ganstudio.core.atomic import atomic_write
from ganstudio.core.run_file import read_run_file

MAX_PICTURE_BYTES = 32 << 20  # a run's grid is well under 1 MB as a PNG
MAX_PICTURE_PIXELS = 4096 * 4096  # the largest grid (64 px images) is about 1,000 x 1,000
SAMPLE_GRID_COLUMNS = 8  # a run's sample grids (samples/, live.png, the window's Samples view) are 8 images wide
GRID_PAD = 2  # pixels between a grid's images and around them


def grid_shape(n: int, h: int, w: int, nrow: int, pad: int = GRID_PAD) -> tuple[int, int]:
    """The (height, width) image_grid gives n images of h x w in rows of nrow."""
    rows = math.ceil(n / nrow)
    return rows * (h + pad) + pad, nrow * (w + pad) + pad


def image_grid(images: np.ndarray, nrow: int | None = None, pad: int = GRID_PAD, fill: int = 0) -> np.ndarray:
    """uint8 (N, C, H, W) -> one uint8 (H', W') or (H', W', 3) picture, row-major."""
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    out = np.full((*grid_shape(n, h, w, nrow, pad), c), fill, dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        out[y : y + h, x : x + w] = images[i].transpose(1, 2, 0)
    return np.ascontiguousarray(out[..., 0] if c == 1 else out)


def with_row_names(sheet: np.ndarray, names: list[str], row_height: int, pad: int = 2) -> np.ndarray:
    """A grid picture (white padding, image_grid's fill=255) with each row's name on its left, because a
    sheet of one row per class cannot be read without them. A Pillow built without FreeType gets the sheet
    unnamed: its bitmap font draws Latin-1 alone (class names come from folder names) and has no anchors."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    if not isinstance(font, ImageFont.FreeTypeFont):
        return sheet
    widths = [math.ceil(font.getlength(name)) for name in names]
    margin = max(widths, default=0) + 3 * pad
    picture = Image.fromarray(sheet)
    out = Image.new(picture.mode, (picture.width + margin, picture.height), 255 if picture.mode == "L" else (255,) * 3)
    out.paste(picture, (margin, 0))
    draw = ImageDraw.Draw(out)
    for row, (name, width) in enumerate(zip(names, widths, strict=True)):
        middle = pad + row * (row_height + pad) + row_height / 2
        draw.text(
            (margin - pad - width, middle), name, fill=0 if picture.mode == "L" else (0,) * 3, font=font, anchor="lm"
        )
    return np.asarray(out)


def scatter_image(real: np.ndarray, fake: np.ndarray, size: int = 256) -> np.ndarray:
    """Real (grey) and generated (orange) points of a 1D or 2D toy model, as an RGB picture. 2D points get one
    scale on both axes, so a ring stays round; a 1D model's second axis is only its two rows."""
    pts = np.concatenate([real, fake]).astype(np.float64)
    plane = pts.shape[1] == 2
    if not plane:
        real = np.concatenate([real, np.full_like(real, -0.5)], axis=1)
        fake = np.concatenate([fake, np.full_like(fake, 0.5)], axis=1)
        pts = np.concatenate([real, fake])
    finite = pts[np.isfinite(pts).all(axis=1)]
    lo = finite.min(axis=0) if len(finite) else np.array([-1.0, -1.0])
    hi = finite.max(axis=0) if len(finite) else np.array([1.0, 1.0])
    span = np.maximum(hi - lo, 1e-6) * 1.1
    if plane:
        span = np.full(2, span.max())
    centre = (hi + lo) / 2
    canvas = np.full((size, size, 3), 255, dtype=np.uint8)
    for points, colour in ((real, (150, 150, 150)), (fake, (230, 110, 20))):
        points = points[np.isfinite(points).all(axis=1)]
        xy = ((points - centre) / span + 0.5) * (size - 1)
        cols = np.clip(xy[:, 0].round().astype(int), 0, size - 1)
        rows = np.clip((size - 1 - xy[:, 1]).round().astype(int), 0, size - 1)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                canvas[np.clip(rows + dy, 0, size - 1), np.clip(cols + dx, 0, size - 1)] = colour
    return canvas


def upscale_nearest(picture: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return picture
    return np.ascontiguousarray(picture.repeat(factor, axis=0).repeat(factor, axis=1))


def save_png(picture: np.ndarray, path: str | Path) -> Path:
    from PIL import Image

    image = Image.fromarray(picture)
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def load_png(path: str | Path) -> np.ndarray:
    """A picture a run wrote (live.png, samples/step_N.png), read on the window's thread from a folder
    anyone may write in: whatever stands there, this returns in moments or raises OSError."""
    import io

    from PIL import Image

    data = read_run_file(path, MAX_PICTURE_BYTES + 1)
    if len(data) > MAX_PICTURE_BYTES:
        raise OSError(f"{path} is over {MAX_PICTURE_BYTES >> 20} MB, far more than a run's picture")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
            if im.width * im.height > MAX_PICTURE_PIXELS:
                raise OSError(f"{path} is {im.width} x {im.height} pixels, far more than a run's picture")
            picture: np.ndarray = np.asarray(im).copy()
    except (ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise OSError(f"{path} is not a picture the run wrote: {exc}") from None
    return picture
