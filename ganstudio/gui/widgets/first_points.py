"""The steps axis of a chart that gains a point now and then (a score every few hundred steps)."""

from __future__ import annotations

import pyqtgraph as pg


def fit_steps_axis(plot: pg.PlotWidget, points: int, step: int, added: int = 1) -> None:
    """Alone, a point sits in an auto-range of a step either side of it (199.6 to 200.4), and a line
    through one point draws nothing: the axis runs from 0 to it. From the second point on, the points'
    own span, and a zoom the user makes then stays. points: how many the chart has, the last `added`
    of them (up to `step`) just now."""
    if points == 1:
        plot.setXRange(0, max(step, 1))
    elif points - added < 2 <= points:
        plot.enableAutoRange(axis="x")
