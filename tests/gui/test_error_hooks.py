"""An exception nothing caught, in a slot or a background thread, reaches the window, not only stderr."""

import threading

import pytest
from PySide6.QtCore import QTimer

from ganstudio.gui.errors import ErrorReporter


@pytest.fixture
def reporting_window(make_window):
    w = make_window()
    reporter = ErrorReporter(w.errors.show_unexpected, w).install()
    yield w
    reporter.uninstall()


def raise_in_slot():
    raise ValueError("boom in a slot")


def raise_in_thread():
    raise OSError("boom in a thread")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_a_dialog(qtbot, reporting_window, capsys):
    w = reporting_window
    QTimer.singleShot(0, raise_in_slot)
    qtbot.waitUntil(lambda: w.errors.dialog is not None and w.errors.dialog.isVisible(), timeout=5000)
    assert w.errors.dialog.text() == "ValueError: boom in a slot"
    assert "Traceback" in w.errors.dialog.detailedText() and "raise_in_slot" in w.errors.dialog.detailedText()
    assert "boom in a slot" in capsys.readouterr().err  # still in the terminal too


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_thread_shows_a_dialog_then_the_status_line(qtbot, reporting_window):
    w = reporting_window
    threading.Thread(target=raise_in_thread, name="SomeFinder").start()
    qtbot.waitUntil(lambda: w.errors.dialog is not None and w.errors.dialog.isVisible(), timeout=5000)
    assert w.errors.dialog.text() == "OSError: boom in a thread"
    assert "SomeFinder" in w.errors.dialog.detailedText()
    first = w.errors.dialog
    QTimer.singleShot(0, raise_in_slot)  # while a dialog is open, another error goes to the status line
    qtbot.waitUntil(lambda: "boom in a slot" in w.statusBar().currentMessage(), timeout=5000)
    assert w.errors.dialog is first


def test_uninstall_puts_the_previous_hooks_back(make_window):
    import sys

    before = (sys.excepthook, threading.excepthook)
    w = make_window()
    reporter = ErrorReporter(w.errors.show_unexpected, w).install()
    assert sys.excepthook != before[0] and threading.excepthook != before[1]
    reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
