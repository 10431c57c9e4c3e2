"""Launch to first painted window and to a usable one (Start enabled), in fresh processes (warm disk
cache after the first)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from ganstudio.bench.arguments import add_json, positive_int
from ganstudio.bench.table import format_table, median, write_json

HELP = "launch to first painted window, in fresh processes"


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
window = MainWindow(settings, deferred=True)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "seen"):
            self.seen = time.time() - started
            self.heavy = sum(name in sys.modules for name in ("torch", "pyqtgraph"))
        return False

def ready():
    usable = time.time() - started
    assert window.controls.start_button.isEnabled()
    QTimer.singleShot(0, lambda: (print(f"{spy.seen:.4f} {spy.heavy} {usable:.4f}"), app.quit()))

spy = FirstPaint()
window.installEventFilter(spy)
window.views_ready.connect(ready)
window.show()
app.exec()
"""


def run_startup_bench(runs: int, json_path: str | None) -> str:
    import tempfile

    env = {**os.environ}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times, usable, heavy_before_paint = [], [], 0
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-") as tmp:
        for i in range(runs + 1):  # the first run warms the disk cache and is not counted
            started = time.time()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, repr(started), os.path.join(tmp, "s.ini")],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
            fields = out.stdout.split()
            if out.returncode != 0 or len(fields) != 3:
                raise RuntimeError(f"start-up probe failed: {out.stderr.strip()[-500:]}")
            if i:
                times.append(float(fields[0]))
                heavy_before_paint += int(fields[1]) > 0
                usable.append(float(fields[2]))
    result = {
        "runs": runs,
        "median_s": median(times),
        "max_s": max(times),
        "usable_median_s": median(usable),
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
            ["runs with torch or pyqtgraph imported before the paint", f"{heavy_before_paint} of {runs}"],
            ["Qt platform", result["platform"]],
        ],
    )
