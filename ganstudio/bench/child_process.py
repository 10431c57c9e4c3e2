"""A bench's helper process (a headless chunk, a group of ranks): its output, or one line saying why not."""

from __future__ import annotations

import os
import signal
import subprocess


class BenchError(Exception):
    """A helper process failed or ran past its bound: one line for the user (the tail of its stderr)."""


def run_child(
    argv: list[str], timeout_s: float, what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The child runs in a session of its own, so a timeout ends whatever it started too (torchrun's ranks
    would otherwise train on until their own timeouts)."""
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        raise BenchError(f"{what} did not finish within {timeout_s:.0f} s") from None
    except BaseException:  # Ctrl-C: the helper and what it started go with the bench
        _kill_group(process)
        process.communicate()
        raise
    if process.returncode != 0:
        tail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
        raise BenchError(f"{what} failed: {tail[0]}")
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    if hasattr(os, "killpg"):
        try:
            os.killpg(process.pid, signal.SIGKILL)
            return
        except OSError:
            pass
    process.kill()
