"""Per-step statistics: plain floats, safe to send across threads and to write as JSON."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

EQUILIBRIUM_D_LOSS = 2 * math.log(2)  # D's real + fake BCE at the 2014 equilibrium D = 1/2, ~1.386
OPTIONAL_FIELDS = ("augment_p",)  # present only in runs that have them


@dataclass(frozen=True)
class StepStats:
    step: int
    loss_d: float
    loss_g: float
    d_real: float  # mean D(x)
    d_fake: float  # mean D(G(z))
    grad_norm_d: float
    grad_norm_g: float
    seconds: float  # wall time of this step on the host
    augment_p: float = math.nan  # adaptive augmentation's probability; NaN (left out of records) when off

    def is_finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.loss_d, self.loss_g, self.grad_norm_d, self.grad_norm_g))

    def to_record(self) -> dict[str, Any]:
        """JSON-safe: non-finite values become null (JSON has no NaN); optional stats that are off are left out."""
        record = asdict(self)
        for name in OPTIONAL_FIELDS:
            if math.isnan(record[name]):
                del record[name]
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in record.items()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> StepStats:
        values: dict[str, Any] = {}
        for f in fields(cls):
            v = record.get(f.name)
            values[f.name] = math.nan if v is None else float(v)
        values["step"] = int(record["step"])
        return cls(**values)


STAT_FIELDS = tuple(f.name for f in fields(StepStats))
