"""A stop whose checkpoint cannot be written (a full disk) pauses the run instead of losing its steps: Stop
again, once there is room, saves it; closing asks whether to quit without it."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.gui.run_phase import RunPhase
from tests.conftest import tiny_toy_config
from tests.core.test_supervisor import fail_saves
from tests.gui.conftest import wait_finished


def running(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=100000, log_every=1, checkpoint_every=100000))
    w.start()
    qtbot.waitUntil(lambda: w.controls.step >= 5, timeout=30000)
    return w


def test_stop_on_a_full_disk_pauses_and_stop_again_saves_every_step(qtbot, make_window, monkeypatch):
    w = running(qtbot, make_window)
    fail_saves(monkeypatch, 1)
    qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.errors.dialog is not None, timeout=30000)
    assert w.errors.dialog.windowTitle() == "Not stopped" or "Not stopped" in w.errors.dialog.text()
    assert "the disk is full" in w.errors.dialog.text()
    w.errors.dialog.close()
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    assert w.controller.running
    paused_at = w.controls.step
    qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)  # there is room now
    assert wait_finished(qtbot, w).value == "stopped"
    assert load_checkpoint(f"{w.run_dir}/checkpoints/latest.pt")["step"] == paused_at


def test_closing_on_a_full_disk_asks_before_quitting_without_the_checkpoint(qtbot, make_window, monkeypatch):
    w = running(qtbot, make_window)
    fail_saves(monkeypatch, 100)
    asked = []

    def answer(*args):
        asked.append(args[2])
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    w.close()
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=30000)
    assert "the disk is full" in asked[0] and w.isVisible() and w.controller.running  # No: kept open, paused
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=30000)  # Yes: quit without it
    assert len(asked) == 2 and not w.controller.running


def test_a_disk_full_mid_run_is_said_in_words_and_its_banner_goes_once_stop_saves(qtbot, make_window, monkeypatch):
    """The banner quoted Python's "[Errno 28] ...", and still said the run was paused and unsaved after Stop had
    saved it; the bar stayed at the last statistics shown, short of the step saved."""
    import errno

    import ganstudio.core.runlog as runlog

    real, failed = runlog.append_run_file, []

    def append(path, data):
        if not failed:
            failed.append(path)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    w = running(qtbot, make_window)
    monkeypatch.setattr(runlog, "append_run_file", append)
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=30000)
    text = w.banner.message.text()
    assert f"Not saved: the disk is full (writing {failed[0]})" in text and "Errno" not in text, text
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    assert text.startswith(f"Step {w.controls.progress.value():,}: ")  # the bar stood at the step before
    qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)  # there is room now
    assert wait_finished(qtbot, w).value == "stopped"
    assert not w.banner.isVisible()
    saved = load_checkpoint(f"{w.run_dir}/checkpoints/latest.pt")["step"]
    assert w.controls.progress.value() == saved
