"""Training progress on the terminal: a tqdm bar on a terminal, plain lines in a log file.

Redirected to a file, a progress bar's carriage returns pile up into tens of KB of one
unreadable line; a log wants a line now and then that says where the run is.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from types import TracebackType
from typing import Literal, TextIO

PLAIN_EVERY_S = 30.0  # a plain line at most this often, and at every tenth of the run


class TrainingProgress:
    def __init__(self, total: int, initial: int, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.total = max(1, total)
        self.step = initial
        self._bar = None
        self._losses: tuple[float | None, float | None] = (None, None)
        self._last_step = initial
        self._last_line = time.monotonic()
        self._last_tenth = initial * 10 // self.total
        if self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, file=self.stream)

    def __enter__(self) -> TrainingProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if self._bar is not None:
            self._bar.close()
        elif self.step != self._last_step:
            self._line()
        return False

    def write(self, line: str) -> None:
        if self._bar is not None:
            with self._bar.external_write_mode(file=sys.stdout):  # tqdm.write, but flushed and guarded
                print_or_drop(line, sys.stdout)
        else:
            print_or_drop(line, sys.stdout)

    def update(self, step: int, loss_d: float | None = None, loss_g: float | None = None) -> None:
        if self._bar is not None:
            if loss_d is not None:
                self._bar.set_postfix(loss_d=f"{loss_d:.3f}", loss_g=f"{loss_g:.3f}", refresh=False)
            self._bar.update(step - self._bar.n)
            return
        self.step = step
        if loss_d is not None:
            self._losses = (loss_d, loss_g)
        tenth = step * 10 // self.total
        if tenth > self._last_tenth or time.monotonic() - self._last_line >= PLAIN_EVERY_S:
            self._last_tenth = tenth
            self._line()

    def _line(self) -> None:
        self._last_line = time.monotonic()
        self._last_step = self.step
        loss_d, loss_g = self._losses
        losses = f"; loss_d {loss_d:.3f}, loss_g {loss_g:.3f}" if loss_d is not None else ""
        print_or_drop(
            f"step {self.step:,} / {self.total:,} ({100 * self.step / self.total:.0f} %){losses}", self.stream
        )


def print_or_drop(line: str, stream: TextIO) -> None:
    """print, unless the pipe it goes to has lost its reader (`train | head -1`, `2>&1 | head`): then the
    stream goes to the null device from here on and the run goes on unprinted, since a run's product is its
    folder, not its lines."""
    try:
        print(line, file=stream, flush=True)
    except BrokenPipeError:
        if not is_pipe(stream):
            raise
        drop(stream)


def drop(stream: TextIO) -> None:
    """Points stream at the null device, so neither later prints nor the exit's flush raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


def is_pipe(stream: TextIO) -> bool:
    """Whether stream goes into a pipe. Writes to a pipe the user named (--out FIFO) raise another error
    (core.atomic), so a broken pipe with this true is the stream's own."""
    try:
        return stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False
