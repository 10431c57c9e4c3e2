"""A run whose last checkpoint cannot be written (a full disk, a file where the folder should be)
still ends: the thread finishes, the window says why, and closing never hangs."""

import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ganstudio.gui.run_phase import RunPhase
from tests.conftest import tiny_toy_config, wait_for_subprocess


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


def test_stop_with_a_failing_save_pauses_says_why_and_saves_once_it_can(qtbot, make_window):
    w = start_long_run(qtbot, make_window)
    qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.errors.dialog is not None and w.errors.dialog.isVisible(), timeout=15000)
    assert "Not stopped" in w.errors.dialog.text() and "checkpoints" in w.errors.dialog.text()
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    assert w.controller.running  # the steps since the last checkpoint are still in memory
    w.errors.dialog.accept()
    blocked = Path(w.run_dir) / "checkpoints"
    blocked.unlink()  # the user makes room
    with qtbot.waitSignal(w.controller.finished, timeout=15000):
        qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    assert w.state is RunPhase.IDLE and (blocked / "latest.pt").is_file()


@pytest.mark.timeout(60, method="thread")  # the bug this guards against hangs the GUI thread in a C++ wait
def test_closing_with_a_failing_save_asks_and_quits_without_it_when_told(qtbot, make_window, monkeypatch):
    w = start_long_run(qtbot, make_window)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Yes)
    started = time.monotonic()
    w.close()
    assert time.monotonic() - started < 5.0 and len(asked) == 1
    assert "checkpoints" in asked[0] and "Quit anyway" in asked[0]
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=15000)
    assert not w.controller.running


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads which signals a process catches in /proc")
def test_a_hangup_closes_the_window_as_a_polite_kill_does(tmp_path):
    """Closing the terminal a window was started from ended it at once, mid-run: no checkpoint, a stale lock. The
    window, a real process, closes the normal way on SIGHUP and exits 0; what that close does with a running run
    (its checkpoint saved, its lock released) is the close's own, tested by the window's other tests."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    window = subprocess.Popen([sys.executable, "-m", "ganstudio"], env=env, stderr=subprocess.PIPE, text=True)

    def catches_hangups() -> bool:
        status = Path(f"/proc/{window.pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        return bool(caught & (1 << (signal.SIGHUP - 1)))

    try:
        wait_for_subprocess(window, catches_hangups, "the window to take SIGHUP itself")
        window.send_signal(signal.SIGHUP)
        _out, err = window.communicate(timeout=60)
        assert window.returncode == 0, err
    finally:
        window.kill()
        window.wait(timeout=30)
