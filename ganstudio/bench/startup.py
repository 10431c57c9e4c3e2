"""Launch to first painted window, to a usable one (Start enabled), and Start to the first training step
once the window has been open a while, in fresh processes (warm disk cache after the first)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from ganstudio.bench.arguments import add_json
from ganstudio.bench.child_process import BenchError, run_child
from ganstudio.bench.table import format_table, median, write_json
from ganstudio.cli_types import positive_int

HELP = "launch to first painted window and Start to first step, in fresh processes"
PROBE_TIMEOUT_S = 120.0
OPEN_BEFORE_START_S = 3.0  # a person reads the window before pressing Start; the engine warms meanwhile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=positive_int, default=5, help="launches to time (default: 5)")
    add_json(parser)


def main(args: argparse.Namespace) -> int:
    print(run_startup_bench(runs=args.runs, json_path=args.json))
    return 0


CHILD = r"""
import sys, time
started = float(sys.argv[1])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ganstudio.gui.main_window import MainWindow
from ganstudio.gui.settings import AppSettings
from PySide6.QtCore import QSettings
settings = AppSettings(QSettings(sys.argv[2], QSettings.Format.IniFormat))
settings.runs_dir = sys.argv[3]
window = MainWindow(settings, deferred=True)
OPEN_BEFORE_START_S = float(sys.argv[4])

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "seen"):
            self.seen = time.time() - started
            self.heavy = sum(name in sys.modules for name in ("torch", "pyqtgraph"))
        return False

marks = {}  # seconds: "usable" from launch, "to_step" from the press of Start

def ready():
    marks["usable"] = time.time() - started
    assert window.controls.start_button.isEnabled()
    QTimer.singleShot(max(0, round((OPEN_BEFORE_START_S - marks["usable"]) * 1000)), press_start)

def press_start():
    marks["pressed"] = time.time()
    window.controls.start_button.click()

def first_step(stats):
    if "to_step" not in marks:
        marks["to_step"] = time.time() - marks["pressed"]
        window.stop()

def finished(reason):
    print(f"{spy.seen:.4f} {spy.heavy} {marks['usable']:.4f} {marks['to_step']:.4f}")
    app.quit()

spy = FirstPaint()
window.installEventFilter(spy)
window.views_ready.connect(ready)
window.controller.stats_ready.connect(first_step)
window.controller.finished.connect(finished)
window.show()
app.exec()
"""


def run_startup_bench(runs: int, json_path: str | None) -> str:
    import tempfile

    env = {**os.environ}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times, usable, to_step, heavy_before_paint = [], [], [], 0
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-") as tmp:
        for i in range(runs + 1):  # the first run warms the disk cache and is not counted
            started = time.time()
            out = run_child(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    repr(started),
                    os.path.join(tmp, "s.ini"),
                    os.path.join(tmp, "runs"),
                    repr(OPEN_BEFORE_START_S),
                ],
                PROBE_TIMEOUT_S,
                "the start-up probe (a window opened in a process of its own)",
                env=env,
            )
            fields = out.stdout.split()
            if len(fields) != 4:
                raise BenchError(f"the start-up probe printed {out.stdout.strip()[:200]!r}, not its four figures")
            if i:
                times.append(float(fields[0]))
                heavy_before_paint += int(fields[1]) > 0
                usable.append(float(fields[2]))
                to_step.append(float(fields[3]))
    result = {
        "runs": runs,
        "median_s": median(times),
        "max_s": max(times),
        "usable_median_s": median(usable),
        "start_to_first_step_median_s": median(to_step),
        "open_before_start_s": OPEN_BEFORE_START_S,
        "torch_or_pyqtgraph_before_paint": heavy_before_paint,
        "platform": env["QT_QPA_PLATFORM"],
    }
    write_json(json_path, "startup", result)
    return format_table(
        ["measure", "value"],
        [
            ["launch to first paint, median", f"{result['median_s']:.2f} s"],
            ["launch to first paint, worst", f"{result['max_s']:.2f} s"],
            ["launch to Start enabled, median", f"{result['usable_median_s']:.2f} s"],
            [
                f"Start to first training step (window open {OPEN_BEFORE_START_S:.0f} s), median",
                f"{result['start_to_first_step_median_s']:.2f} s",
            ],
            ["runs with torch or pyqtgraph imported before the paint", f"{heavy_before_paint} of {runs}"],
            ["Qt platform", result["platform"]],
        ],
    )
