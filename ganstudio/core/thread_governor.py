"""CPU threads for a run on "auto" that follow the machine's load.

torch's OpenMP team makes every one of a step's many small operations wait for all its threads. When
another program keeps one of the cores busy, one thread of the team waits for a time slice at each of
them, and a DCGAN step on two threads of a two-core machine went from 0.02 s to 3 s: a hundred times
slower than the same step on one thread (README, Performance). So an auto run times its steps on one
thread and on all, keeps the faster, and times both again when its steps slow down, or after a while,
since the other program may have ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ganstudio.core.wording import counted

WARMUP_STEPS = 3  # a run's first steps, which allocate what later steps reuse: not timed
TIMED_STEPS = 16  # steps timed for each count: their mean, which a stall now and then raises as it should
SLOWER = 2.0  # the chosen count's steps this many times slower than when chosen: time both again now
RECHECK_S = 60.0  # and again this often, in case the load has gone,
RECHECK_COST = 20  # or this many times as long as timing both took: long steps spend under 5 % on it
FASTER = 1.15  # one thread must be this much faster to be chosen over all of them


@dataclass(frozen=True)
class ThreadChoice:
    """A change of count, with the mean step times that chose it (count -> seconds); none for a count only
    being timed."""

    threads: int
    timings: dict[int, float]

    def describe(self) -> str:
        timings = ", ".join(f"{counted(count, 'thread')} {1000 * s:.0f} ms a step" for count, s in self.timings.items())
        why = " (another program is using the CPU)" if self.threads == 1 else ""
        return f"CPU threads now {self.threads}{why}: {timings}"


class ThreadGovernor:
    def __init__(self, most: int, clock: Callable[[], float] = time.monotonic):
        """most: the count auto gives (every core). The first steps run on one thread: it is never far
        off, and once its time is known, timing every core on a busy machine stops at its first slow steps."""
        self.most = most
        self.threads = 1
        self._told = most  # the count last chosen, which the run's user has been told of when it changed
        self._clock = clock
        self._warmup = WARMUP_STEPS
        self._times: list[float] = []
        self._timings: dict[int, float] = {}  # this round's mean step time of each count timed
        self._round_seconds = 0.0  # what this round's timed steps took
        self._chosen: float | None = None  # the chosen count's mean step time, once chosen
        self._recheck_at = 0.0

    def observe(self, seconds: float) -> ThreadChoice | None:
        """One step's wall time on the current count. A ThreadChoice when the count changes now: to time the
        other count (no timings), or the choice once both are timed (timings given when it is news)."""
        if self._warmup:
            self._warmup -= 1
            return None
        self._times.append(seconds)
        mean = sum(self._times) / len(self._times)
        if self._chosen is not None:  # settled: watching for a slow-down or the recheck
            if len(self._times) < TIMED_STEPS:
                return None
            self._times.clear()
            if mean < SLOWER * self._chosen and self._clock() < self._recheck_at:
                return None
            self._chosen, self._timings = None, {self.threads: mean}  # a new round: this count has just been timed
            self._round_seconds = TIMED_STEPS * mean
            return self._switch(self._other(), {})
        self._round_seconds += seconds
        if len(self._times) < TIMED_STEPS and not self._lost():
            return None
        self._timings[self.threads] = mean
        self._times.clear()
        if len(self._timings) < 2:
            return self._switch(self._other(), {})
        return self._choose()

    def _other(self) -> int:
        return 1 if self.threads == self.most else self.most

    def _lost(self) -> bool:
        """Whether the count being timed can no longer win, whatever its remaining steps take: on a busy
        machine every core's steps can take a hundred times one thread's, and a whole window of them would
        cost more than the run gains."""
        other = self._timings.get(self._other())
        if other is None:
            return False
        spent = sum(self._times)
        if self.threads == self.most:
            return spent > FASTER * other * TIMED_STEPS
        return spent > other * TIMED_STEPS / FASTER

    def _choose(self) -> ThreadChoice | None:
        best = 1 if self._timings[self.most] > FASTER * self._timings[1] else self.most
        self._chosen = self._timings[best]
        self._recheck_at = self._clock() + max(RECHECK_S, RECHECK_COST * self._round_seconds)
        self._round_seconds = 0.0
        news, self._told = best != self._told, best
        if best == self.threads and not news:
            return None
        return self._switch(best, dict(sorted(self._timings.items(), reverse=True)) if news else {})

    def _switch(self, threads: int, timings: dict[int, float]) -> ThreadChoice:
        self.threads = threads
        return ThreadChoice(threads, timings)
