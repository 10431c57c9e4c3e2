"""The mode-collapse figures of a toy run (core.metrics measures them), apart from numpy: they are events
the window reads before it has painted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModeMetrics:
    modes_captured: int
    modes_total: int
    high_quality: float  # fraction of samples within 3 std of their nearest centre
    js: float  # Jensen-Shannon divergence (nats, 0 .. ln 2)
    # Conditional models: per class, the fraction of its samples within 3 std of its own mode; None otherwise
    own_mode: tuple[float, ...] | None = None

    def to_record(self) -> dict[str, Any]:
        extra = {"own_mode": list(self.own_mode), "own_mode_min": min(self.own_mode)} if self.own_mode else {}
        return {
            "modes": self.modes_captured,
            "modes_total": self.modes_total,
            "high_quality": self.high_quality,
            "js": self.js,
            **extra,
        }
