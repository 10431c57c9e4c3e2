"""A growable column store for plot data: amortised O(1) appends, views without copies, and each
column's finite minimum and maximum kept as rows arrive, so following the data never rescans it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


class GrowingSeries:
    def __init__(self, columns: tuple[str, ...], capacity: int = 4096):
        self.columns = columns
        self._data = np.empty((capacity, len(columns)), dtype=np.float64)
        self._n = 0
        self._low = np.full(len(columns), np.inf)
        self._high = np.full(len(columns), -np.inf)
        self._low_positive = np.full(len(columns), np.inf)

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0
        self._low.fill(np.inf)
        self._high.fill(-np.inf)
        self._low_positive.fill(np.inf)

    def extend(self, values: ArrayLike) -> None:
        rows = np.asarray(values, dtype=np.float64).reshape(-1, len(self.columns))
        if not len(rows):
            return
        need = self._n + len(rows)
        if need > len(self._data):
            grown = np.empty((max(need, 2 * len(self._data)), len(self.columns)), dtype=np.float64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = rows
        self._n = need
        finite = np.where(np.isfinite(rows), rows, np.nan)  # fmin/fmax skip NaN
        self._low = np.fmin(self._low, np.fmin.reduce(finite, axis=0))
        self._high = np.fmax(self._high, np.fmax.reduce(finite, axis=0))
        positive = np.where(finite > 0, finite, np.nan)
        self._low_positive = np.fmin(self._low_positive, np.fmin.reduce(positive, axis=0))

    def keep_until(self, step: float) -> bool:
        """Drops the rows past `step` (a run carried on from an earlier checkpoint, or rewound, trains those
        steps again: kept, they drew a second curve back over the first). True when any went."""
        kept = int(np.searchsorted(self.column("step"), step, side="right"))
        if kept == self._n:
            return False
        rows = self._data[:kept].copy()
        self.clear()
        self.extend(rows)
        return True

    def column(self, name: str) -> np.ndarray:
        return self._data[: self._n, self.columns.index(name)]

    def rows(self) -> np.ndarray:
        return self._data[: self._n]

    def bounds(self, *names: str) -> tuple[float, float] | None:
        """The smallest and largest finite value over these columns; None when there is none."""
        index = [self.columns.index(name) for name in names]
        low, high = float(self._low[index].min()), float(self._high[index].max())
        return (low, high) if low <= high else None

    def positive_bounds(self, *names: str) -> tuple[float, float] | None:
        """The smallest and largest finite value above 0 over these columns (what a log axis can show)."""
        index = [self.columns.index(name) for name in names]
        low, high = float(self._low_positive[index].min()), float(self._high[index].max())
        return (low, high) if 0 < low <= high else None
