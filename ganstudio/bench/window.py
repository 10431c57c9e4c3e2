"""A real main window (offscreen unless a display is set) with a preset loaded, for the benches
that measure the app as a user runs it; its settings and runs live in a temporary folder."""

from __future__ import annotations

import os
import tempfile


def bench_window(preset_name: str, steps: int, overrides: list[str] | None = None):
    """(app, window, config, temp folder); the caller closes the window and cleans the folder."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ganstudio.core.config import apply_override, check, preset
    from ganstudio.gui.main_window import MainWindow
    from ganstudio.gui.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    tmp = tempfile.TemporaryDirectory(prefix="ganstudio-bench-")
    settings = AppSettings(QSettings(os.path.join(tmp.name, "s.ini"), QSettings.Format.IniFormat))
    settings.runs_dir = tmp.name
    window = MainWindow(settings)
    config = preset(preset_name)
    for assignment in overrides or []:
        apply_override(config, assignment)
    config.train.steps = steps
    config.train.device = "cpu"
    window.form.set_config(check(config))
    window.show()
    return app, window, config, tmp
