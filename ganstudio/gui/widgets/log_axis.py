"""A left axis whose log mode labels only 1, 2 and 5 of each decade: pyqtgraph labels all nine ticks of a
decade, and on a short plot over two decades "10¹ 9 8 7" and "1 0.9 0.8" were drawn on top of each other."""

from __future__ import annotations

import math

import pyqtgraph as pg

LABELLED_MANTISSAS = (1, 2, 5)


class SparseLogAxis(pg.AxisItem):
    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        strings: list[str] = super().logTickStrings(values, scale, spacing)
        return [
            text if _mantissa(value) in LABELLED_MANTISSAS else "" for value, text in zip(values, strings, strict=True)
        ]


def _mantissa(log_value: float) -> int:
    """The leading digit of 10**log_value (a tick sits on a whole multiple of its decade)."""
    return round(10 ** (log_value - math.floor(log_value + 1e-9)))
