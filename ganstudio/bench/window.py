"""A real main window (offscreen unless a display is set) with a preset loaded, for the benches
that measure the app as a user runs it; its settings and runs live in a temporary folder.

A bench that stops the window's run itself gives it a step count it never reaches and a checkpoint
interval as long. Before a run starts the disk is checked for room for every step copy it could write
(core.disk_room): ten million steps of an image preset at the default interval is tens of GB that the
bench never writes, and a machine with less free was refused before measuring anything."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ganstudio.bench.child_process import BenchError

if TYPE_CHECKING:
    from ganstudio.core.config import RunConfig
    from ganstudio.gui.main_window import MainWindow

ENDLESS_STEPS = 10_000_000
WAIT_S = 600.0  # bound on any one wait for the window's run (its start, its first statistics)


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
    ended: bool = False

    def spin(self, ms: float) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(int(ms), loop.quit)
        loop.exec()

    def wait_until(self, ready: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.failure:
                raise BenchError(f"the window's run failed before {what}: {self.failure[0]}")
            if ready():
                return
            if self.ended:
                raise BenchError(f"the window's run ended before {what}")
            if time.monotonic() > deadline:
                raise BenchError(f"the window's run did not reach {what} within {timeout_s:.0f} s")
            self.spin(50)

    def __enter__(self) -> BenchWindow:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Also when a wait failed: a training thread left running would train on behind the error."""
        self.window.controller.stop_and_wait(10000)
        self.window.close()
        self.tmp.cleanup()


OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"


def quiet_offscreen_plugin() -> None:
    """Qt's offscreen plugin warns at every window shown that it cannot size it, which a bench's output
    would repeat around its table (and before its one-line error); every other message still goes out."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind: object, _context: object, message: str) -> None:
        if message != OFFSCREEN_NOISE:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def bench_window(preset_name: str, steps: int | None, overrides: list[str] | None = None) -> BenchWindow:
    """steps=None: a run the bench stops itself; the bench's --set overrides come last, so they win."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ganstudio.core.config import apply_override, check, preset
    from ganstudio.gui.main_window import MainWindow
    from ganstudio.gui.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    quiet_offscreen_plugin()
    tmp = tempfile.TemporaryDirectory(prefix="ganstudio-bench-")
    settings = AppSettings(QSettings(os.path.join(tmp.name, "s.ini"), QSettings.Format.IniFormat))
    settings.runs_dir = tmp.name
    window = MainWindow(settings)
    config = preset(preset_name)
    config.train.steps = steps or ENDLESS_STEPS
    if steps is None:
        config.train.checkpoint_every = ENDLESS_STEPS
    for assignment in overrides or []:
        apply_override(config, assignment)
    config.train.device = "cpu"
    window.form.set_config(check(config))
    window.show()
    bench = BenchWindow(app, window, config, tmp)
    window.controller.failed.connect(lambda text, reason: bench.failure.append(reason or _last_line(text)))
    window.controller.finished.connect(lambda _reason: setattr(bench, "ended", True))
    return bench


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1] if text.strip() else "unknown error"
