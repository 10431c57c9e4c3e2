"""Duty-cycle pacing for the work done beside training (live pictures, plot redraws, direction searches).

On a 2-core CPU whatever the live views cost comes out of training, so each periodic job (plot
redraws, live pictures) waits a multiple of what its last run took: a factor of 100 holds it to
about 1 % of a core, however the cost grows with the run.
"""

from __future__ import annotations


def paced_interval(cost: float, factor: float, fastest: float, slowest: float) -> float:
    """The wait before the next run: factor x cost, kept within [fastest, slowest] (same unit as cost)."""
    return min(slowest, max(fastest, factor * cost))
