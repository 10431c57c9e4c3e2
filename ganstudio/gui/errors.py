"""Exceptions that nothing caught, brought to the window.

In a desktop app an exception raised in a slot, a timer or a background thread goes only to
stderr, which nobody reads: the view just stops working. These hooks keep printing it there and
also hand it, through a queued signal (they may run on any thread), to a callback on the GUI thread.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget


def last_line(text: str) -> str:
    """A traceback's last line: the exception, in its own words."""
    return text.strip().splitlines()[-1] if text.strip() else "unknown error"


class ErrorReporter(QObject):
    reported = Signal(str, str)  # the exception's last line, the whole traceback

    def __init__(self, show: Callable[[str, str], None], parent: QObject | None = None):
        super().__init__(parent)
        self.reported.connect(show, Qt.ConnectionType.QueuedConnection)
        self._previous: tuple | None = None

    def install(self) -> ErrorReporter:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _on_exception(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        self._report("".join(traceback.format_exception(kind, value, tb)))

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a background thread"
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        self._report(f"In {name}:\n{text}")

    def _report(self, text: str) -> None:
        print(text, file=sys.stderr, end="")
        try:
            self.reported.emit(text.strip().splitlines()[-1], text)
        except RuntimeError:  # the window is already gone (the app is closing): stderr is all there is
            pass


class ErrorDialogs:
    """The window's error dialogs: one at a time for the same unexpected error, each deleted on close."""

    def __init__(self, parent: QWidget, show_status: Callable[[str], None]):
        self.parent = parent
        self.show_status = show_status
        self.dialog: QMessageBox | None = None  # the one on screen

    def show_unexpected(self, summary: str, details: str) -> None:
        """An exception nothing caught: a dialog, or the status line while one is open, so an error
        that repeats on every render does not stack dialogs."""
        if self.dialog is not None and self.dialog.isVisible():
            self.show_status(f"Unexpected error: {summary}")
        else:
            self.show("Unexpected error", summary, details=details)

    def show(
        self, title: str, text: str, details: str | None = None, icon: QMessageBox.Icon = QMessageBox.Icon.Critical
    ) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("errorDialog")
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        box.finished.connect(self._on_closed)
        box.open()

    def _on_closed(self) -> None:
        self.dialog = None
