import math

import numpy as np
import pytest

from ganstudio.core.data.toy import grid_centres, ring_centres
from ganstudio.core.metrics import js_divergence, mode_coverage, mode_metrics

RING = ring_centres().numpy()
STD = 0.01


def around(centres, n_per, std, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + std * rng.standard_normal((n_per, 2)) for c in centres])


def test_all_modes_covered():
    samples = around(RING, 300, STD)
    captured, hq = mode_coverage(samples, RING, STD)
    assert captured == 8 and hq > 0.98


def test_one_mode_only():
    samples = around(RING[:1], 2500, STD)
    captured, hq = mode_coverage(samples, RING, STD)
    assert captured == 1 and hq > 0.98


def test_points_off_every_mode():
    rng = np.random.default_rng(1)
    samples = 0.5 * rng.standard_normal((2500, 2))  # inside the ring, far from every centre
    samples = samples[np.linalg.norm(samples, axis=1) < 0.8]
    captured, hq = mode_coverage(samples, RING, STD)
    assert captured == 0 and hq == 0.0


def test_a_mode_with_too_wide_samples():
    wide = around(RING[:1], 1000, 10 * STD)  # 3-std radius is 0.03; these spread 0.1
    captured, hq = mode_coverage(wide, RING, STD)
    assert captured == 1
    expected = 1 - math.exp(-(0.3**2) / 2)  # P(radius <= 0.3 sigma) for a 2D Gaussian
    assert hq == pytest.approx(expected, abs=0.02)


def test_non_finite_samples_count_as_low_quality():
    samples = np.concatenate([around(RING, 10, STD), np.full((80, 2), np.nan)])
    captured, hq = mode_coverage(samples, RING, STD)
    assert captured == 8 and hq == pytest.approx(80 / 160)


def test_js_divergence_same_vs_disjoint():
    grid = grid_centres().numpy()
    real = around(grid, 200, 0.05, seed=2)
    same = around(grid, 200, 0.05, seed=3)
    collapsed = around(grid[:1], 5000, 0.05, seed=4)
    assert js_divergence(real, same) < 0.1
    assert js_divergence(real, collapsed) > 0.5
    far = real + 100.0
    assert js_divergence(real, far) == pytest.approx(math.log(2), abs=1e-9)


def test_mode_metrics_bundle():
    m = mode_metrics(around(RING, 300, STD), around(RING[:4], 600, STD), RING, STD)
    assert m.modes_captured == 4 and m.modes_total == 8 and m.high_quality > 0.98 and 0.1 < m.js < math.log(2)
