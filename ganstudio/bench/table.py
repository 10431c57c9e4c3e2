"""Plain-text tables and JSON output for bench results."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np


def machine_line() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def format_table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [
        [c if isinstance(c, str) else f"{c:,.2f}" if isinstance(c, float) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_json(path: str | Path | None, name: str, results: dict) -> None:
    if not path:
        return
    from ganstudio.core.atomic import write_named_text

    payload = {"bench": name, "date": time.strftime("%Y-%m-%d"), "machine": machine_line(), **results}
    write_named_text(path, json.dumps(payload, indent=2))


def spread(values, digits: int = 1, scale: float = 1.0) -> str:
    """mean +- std of a bench's repeats; a single value as it is. The sample std (n - 1): over the three
    seeds a bench runs, the population std would show 1.22 times less spread than the seeds have."""
    arr = scale * np.asarray(values, dtype=np.float64)
    if arr.size == 1:
        return f"{arr[0]:,.{digits}f}"
    return f"{arr.mean():,.{digits}f} +- {arr.std(ddof=1):,.{digits}f}"


def median(values) -> float:
    return float(np.median(np.asarray(values, dtype=np.float64))) if len(values) else float("nan")
