"""Periodic live-view work waits a multiple of its cost, within bounds."""

import pytest

from ganstudio.core.pacing import paced_interval


@pytest.mark.parametrize("cost, expected", [(0.001, 1.0), (0.015, 1.5), (0.5, 2.0)])
def test_wait_is_factor_times_cost_within_bounds(cost, expected):
    assert paced_interval(cost, 100, 1.0, 2.0) == pytest.approx(expected)
