"""The picture a toy run writes as live.png: what a watching window shows of its points."""

import numpy as np

from ganstudio.core.imaging import scatter_image


def _drawn_extent(picture: np.ndarray, colour: tuple[int, int, int]) -> tuple[int, int]:
    rows, cols = np.nonzero((picture == colour).all(axis=2))
    return int(cols.max() - cols.min()), int(rows.max() - rows.min())


def test_a_wide_ring_is_drawn_twice_as_wide_as_it_is_high():
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    ellipse = np.stack([2 * np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    width, height = _drawn_extent(scatter_image(ellipse, ellipse[:0]), (150, 150, 150))
    assert abs(width / height - 2.0) < 0.05


def test_a_round_ring_stays_round_when_the_generated_points_stray_along_one_axis():
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    stray = np.array([[4.0, 0.0], [-4.0, 0.0]], dtype=np.float32)
    width, height = _drawn_extent(scatter_image(ring, stray), (150, 150, 150))
    assert abs(width / height - 1.0) < 0.05


def test_one_dimensional_points_fill_the_width_on_two_rows():
    real = np.linspace(-1, 1, 50, dtype=np.float32)[:, None]
    fake = np.linspace(-0.5, 0.5, 50, dtype=np.float32)[:, None]
    picture = scatter_image(real, fake, size=128)
    width, height = _drawn_extent(picture, (150, 150, 150))
    assert width > 100 and height <= 2
    fake_rows = np.nonzero((picture == (230, 110, 20)).all(axis=2))[0]
    real_rows = np.nonzero((picture == (150, 150, 150)).all(axis=2))[0]
    assert fake_rows.mean() < real_rows.mean()  # generated above, real below
