"""A run whose last checkpoint cannot be written (a full disk, a file where the folder should be)
still ends: the thread finishes, the window says why, and closing never hangs."""

import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ganstudio.gui.run_phase import RunPhase
from tests.conftest import tiny_toy_config


def block_checkpoints(run_dir: str) -> Path:
    """A plain file where the run's checkpoints folder should be: every save there fails with OSError."""
    folder = Path(run_dir) / "checkpoints"
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("not a folder")
    return folder


def start_long_run(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=100000, checkpoint_every=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    block_checkpoints(w.run_dir)
    return w


def test_stop_with_a_failing_final_save_finishes_and_says_why(qtbot, make_window):
    w = start_long_run(qtbot, make_window)
    with qtbot.waitSignal(w.controller.finished, timeout=15000):
        qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    assert not w.controller.running and w.state is RunPhase.IDLE
    assert w.errors.dialog is not None and w.errors.dialog.isVisible()
    assert "final checkpoint was not saved" in w.errors.dialog.text()
    assert "checkpoints" in w.errors.dialog.text()


@pytest.mark.timeout(60, method="thread")  # the bug this guards against hangs the GUI thread in a C++ wait
def test_closing_with_a_failing_final_save_ends_the_thread_and_shows_why(qtbot, make_window):
    w = start_long_run(qtbot, make_window)
    started = time.monotonic()
    w.close()
    assert time.monotonic() - started < 5.0
    assert not w.controller.running
    assert w.isVisible(), "the window stays open so the reason can be read"
    assert w.errors.dialog is not None and w.errors.dialog.isVisible()
    assert "final checkpoint was not saved" in w.errors.dialog.text()
    assert "close again" in w.statusBar().currentMessage()
    w.errors.dialog.accept()
    w.close()
    assert not w.isVisible()
