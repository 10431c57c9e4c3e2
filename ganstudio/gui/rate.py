"""Steps per second and time left, for the run controls.

The rate is a smoothed one over stats arrivals at least half a second apart. It means something
only while the run trains: paused, single steps would drag it towards zero and the time left
towards infinity, so it says "paused"; for another run it starts again from nothing.
"""

from __future__ import annotations

MIN_SPAN_S = 0.5
SMOOTHING = 0.3  # weight of the newest measurement


class RateMeter:
    def __init__(self) -> None:
        self.rate = 0.0  # steps per second, smoothed; 0 until measured
        self.paused = False
        self._mark: tuple[float, int] | None = None  # (time, step) the next measurement starts from

    def reset(self) -> None:
        """Another run (or none): nothing measured yet."""
        self.rate = 0.0
        self.paused = False
        self._mark = None

    def set_paused(self, paused: bool) -> None:
        """Pausing keeps the last rate for when training resumes; the time spent paused is not measured."""
        self.paused = paused
        self._mark = None

    def observe(self, step: int, now: float) -> None:
        if self.paused:
            return
        if self._mark is None:
            self._mark = (now, step)
            return
        span = now - self._mark[0]
        if span < MIN_SPAN_S:
            return
        instant = (step - self._mark[1]) / span
        self.rate = instant if self.rate == 0 else (1 - SMOOTHING) * self.rate + SMOOTHING * instant
        self._mark = (now, step)

    def text(self, step: int, total: int) -> str:
        if self.paused:
            return "paused"
        if self.rate <= 0:
            return ""
        return f"{self.rate:,.1f} steps/s - ETA {duration((total - step) / self.rate)}"


def duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
