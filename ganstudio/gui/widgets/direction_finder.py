"""The explorer's principal directions, found on a pool thread (a superqt worker) and kept fresh.

GANSpace's PCA costs seconds of CPU, and while a run trains it shares the cores with training.
Directions found on an early generator say little about a later one, so a newer generator of the
same model gets new ones, one search at a time, each waiting 10x what the last took (within
5-60 s, so the searches take about a tenth of a core); a new model (or the
*Find directions* button) gets them at once. A conditional generator's are found with one class
fixed (the one shown when the search was asked for).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from superqt.utils import create_worker

from ganstudio.core.pacing import paced_interval

if TYPE_CHECKING:
    from ganstudio.core.latent import Directions
    from ganstudio.core.sampling import GeneratorSnapshot

DIRECTIONS_REFRESH_S = (5.0, 60.0)  # the shortest and longest wait between two searches ...
DIRECTIONS_COST_FACTOR = 10  # ... waiting 10x what the last one took in between


def _search(snapshot: GeneratorSnapshot, label: int) -> tuple[GeneratorSnapshot, Directions, int, float]:
    from ganstudio.core.fast_path import serial_torch_here
    from ganstudio.core.latent import principal_directions

    serial_torch_here()  # searches repeat while a run trains: no OpenMP team of their own (see serial_torch_here)
    started = time.perf_counter()
    directions = principal_directions(snapshot, label=label)
    return snapshot, directions, label, time.perf_counter() - started


class DirectionFinder(QObject):
    searching = Signal(object)  # the snapshot a search has started on
    found = Signal(object, object, int)  # snapshot, Directions, the class they were found with
    # the worker's answers, relayed signal to signal: Qt drops them if the explorer has gone meanwhile
    _returned = Signal(object)
    _errored = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.busy = False
        self._pending: GeneratorSnapshot | None = None
        self._label = 0  # the class the pending search fixes (conditional generators)
        self._urgent = False
        self._last_start = -math.inf
        self.interval = DIRECTIONS_REFRESH_S[0]  # seconds from one search's start to the next refresh's
        self._timer = QTimer(self)  # paces the next search; a coalescing timer would not wait for the last
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire 5 % early
        self._timer.timeout.connect(self._start_pending)
        self._returned.connect(self._on_found)
        self._errored.connect(self._on_failed)

    def find(self, snapshot: GeneratorSnapshot, label: int = 0) -> None:
        """Directions for this generator as soon as the current search (if any) ends."""
        self._pending, self._label, self._urgent = snapshot, label, True
        self._schedule()

    def refresh(self, snapshot: GeneratorSnapshot, label: int = 0) -> None:
        """Directions for a newer generator of the same model, no sooner than `interval` after the
        last search started."""
        self._pending, self._label = snapshot, label
        self._schedule()

    def _schedule(self) -> None:
        if self.busy or self._pending is None:
            return
        wait = 0.0 if self._urgent else self.interval - (time.monotonic() - self._last_start)
        if wait <= 0:
            self._timer.stop()
            self._start_pending()
        elif not self._timer.isActive():
            self._timer.start(math.ceil(wait * 1000))

    def _start_pending(self) -> None:
        if self.busy or self._pending is None:
            return
        snapshot, self._pending, self._urgent = self._pending, None, False
        self.busy = True
        self._last_start = time.monotonic()
        self.searching.emit(snapshot)
        worker = create_worker(_search, snapshot, self._label, _start_thread=False, _ignore_errors=True)
        # a signal connected to a signal re-emits it (Qt's docs); PySide6's stubs take only callables there
        worker.returned.connect(self._returned)  # type: ignore[arg-type]
        worker.errored.connect(self._errored)  # type: ignore[arg-type]
        worker.start()

    def _on_found(self, result: tuple[GeneratorSnapshot, Directions, int, float]) -> None:
        snapshot, directions, label, seconds = result
        self._finished(seconds)
        self.found.emit(snapshot, directions, label)
        self._schedule()

    def _on_failed(self, error: Exception) -> None:
        """Frees the finder for the next generator, then lets the window's error hook show why."""
        self._finished(time.monotonic() - self._last_start)
        self._schedule()
        raise error

    def _finished(self, seconds: float) -> None:
        self.busy = False
        self.interval = paced_interval(seconds, DIRECTIONS_COST_FACTOR, *DIRECTIONS_REFRESH_S)
