"""Pressing Start leaves torch to the training thread: the window's part of Start must not import it,
or a click while the engine still warms up freezes the window until torch has loaded."""

import os
import subprocess
import sys

PROBE = r"""
import sys, tempfile
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
import ganstudio.gui.main_window
from ganstudio.gui.main_window import MainWindow
from ganstudio.gui.settings import AppSettings
ganstudio.gui.main_window.warm_engine_soon = lambda: None  # its import of torch, on a pool thread, is not Start's
folder = tempfile.mkdtemp()
settings = AppSettings(QSettings(folder + "/settings.ini", QSettings.Format.IniFormat))
settings.runs_dir = folder
window = MainWindow(settings, deferred=False)
assert "torch" not in sys.modules, "building the window imported torch"
make = window.files.session_maker(window.form.config())
print("torch" in sys.modules)
"""


def test_the_window_side_of_start_does_not_import_torch():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "False"
