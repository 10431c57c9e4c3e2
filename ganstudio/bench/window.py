"""A real main window (offscreen unless a display is set) with a preset loaded, for the benches
that measure the app as a user runs it; its settings and runs live in a temporary folder."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from ganstudio.bench.child_process import BenchError
from ganstudio.bench.endless_run import make_endless

if TYPE_CHECKING:
    from ganstudio.core.config import RunConfig
    from ganstudio.gui.main_window import MainWindow

WAIT_S = 600.0  # bound on any one wait for the window's run (its start, its first statistics)
STOP_WAIT_MS = 10_000


def spin(ms: float) -> None:
    """The GUI thread's event loop for ms milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(ms), loop.quit)
    loop.exec()


def spin_until(
    ready: Callable[[], bool],
    not_ready: Callable[[], str],
    timeout_s: float = WAIT_S,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Spins the event loop until ready(); check() may end the wait early by raising; past timeout_s,
    BenchError says not_ready()."""
    deadline = time.monotonic() + timeout_s
    while True:
        check()
        if ready():
            return
        if time.monotonic() > deadline:
            raise BenchError(f"{not_ready()} within {timeout_s:.0f} s")
        spin(50)


@dataclass
class BenchWindow:
    """The window and what the bench waits on: every wait is bounded, and a run the window could not
    start (a disk without room for its checkpoints, say) ends the bench with the window's own words
    instead of a loop that spins forever waiting for statistics that never come."""

    app: Any
    window: MainWindow
    config: RunConfig
    tmp: tempfile.TemporaryDirectory
    failure: list[str] = field(default_factory=list)  # the window's reason, when its run failed
    said: list[str] = field(default_factory=list)  # what the run refused or alarmed about (it may have paused)
    ended: bool = False

    def wait_until(self, ready: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
        def check() -> None:
            if self.failure:
                raise BenchError(f"the window's run failed before {what}: {self.failure[0]}")
            if self.ended and not ready():
                raise BenchError(f"the window's run ended before {what}")

        def not_ready() -> str:
            last_word = f" (it said: {self.said[-1]})" if self.said else ""
            return f"the window's run did not reach {what}{last_word}"

        spin_until(ready, not_ready, timeout_s, check)

    def __enter__(self) -> BenchWindow:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Also when a wait failed: a training thread left running would train on behind the error. The
        run's checkpoint is not wanted, so its stop saves nothing: a full disk cannot hold it up."""
        try:
            if not self.window.controller.stop_and_wait(STOP_WAIT_MS, discard=True):
                raise BenchError(f"the window's run did not stop within {STOP_WAIT_MS / 1000:.0f} s")
            self.window.close()
        finally:
            self.tmp.cleanup()


OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"


@cache
def quiet_offscreen_plugin() -> None:
    """Qt's offscreen plugin warns at every window shown that it cannot size it, which a bench's output
    would repeat around its table (and before its one-line error); every other message still goes out.
    Installed once a process."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind: object, _context: object, message: str) -> None:
        if message != OFFSCREEN_NOISE:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def bench_window(preset_name: str, steps: int | None, overrides: list[str] | None = None) -> BenchWindow:
    """steps=None: a run the bench stops itself (endless_run); the bench's --set overrides come last, so
    they win."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ganstudio.core.config import apply_override, check, preset
    from ganstudio.gui.errors import last_line
    from ganstudio.gui.main_window import MainWindow
    from ganstudio.gui.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    quiet_offscreen_plugin()
    tmp = tempfile.TemporaryDirectory(prefix="ganstudio-bench-")
    settings = AppSettings(QSettings(os.path.join(tmp.name, "s.ini"), QSettings.Format.IniFormat))
    settings.runs_dir = tmp.name
    window = MainWindow(settings)
    config = preset(preset_name)
    if steps is None:
        make_endless(config)
    else:
        config.train.steps = steps
    for assignment in overrides or []:
        apply_override(config, assignment)
    config.train.device = "cpu"
    window.form.set_config(check(config))
    window.show()
    bench = BenchWindow(app, window, config, tmp)
    c = window.controller
    c.failed.connect(lambda text, reason: bench.failure.append(reason or last_line(text)))
    c.alarm.connect(lambda _step, message: bench.said.append(message))
    c.stop_refused.connect(bench.said.append)
    c.health_alarm.connect(lambda alarm: bench.said.append(alarm.message))
    c.finished.connect(lambda _reason: setattr(bench, "ended", True))
    return bench
