"""A bench's helper process (a headless chunk, a group of ranks): its output, or one line saying why not."""

from __future__ import annotations

import subprocess


class BenchError(Exception):
    """A helper process failed or ran past its bound: one line for the user (the tail of its stderr)."""


def run_child(argv: list[str], timeout_s: float, what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} did not finish within {timeout_s:.0f} s") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BenchError(f"{what} failed: {tail[0]}")
    return done
