"""A growable column store for plot data: amortised O(1) appends, views without copies."""

from __future__ import annotations

import numpy as np


class GrowingSeries:
    def __init__(self, columns: tuple[str, ...], capacity: int = 4096):
        self.columns = columns
        self._data = np.empty((capacity, len(columns)), dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0

    def extend(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.columns))
        need = self._n + len(rows)
        if need > len(self._data):
            grown = np.empty((max(need, 2 * len(self._data)), len(self.columns)), dtype=np.float64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n:need] = rows
        self._n = need

    def column(self, name: str) -> np.ndarray:
        return self._data[: self._n, self.columns.index(name)]

    def rows(self) -> np.ndarray:
        return self._data[: self._n]
