"""Space pauses and resumes the run, except while the keyboard focus is on a button or a drop-down list,
which Space presses or opens: a window-wide shortcut would take the key from a focused Randomise, Play or
checkbox and pause the run instead. Fields that type a space take it from the shortcut themselves."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QWidget

SPACE = QKeySequence(Qt.Key.Key_Space)
SPACE_USERS = (QAbstractButton, QComboBox)


class SpaceForFocusedControls(QObject):
    """Takes Space off the action while a button or drop-down list has the focus, and gives it back after.
    Only focus changes cost anything: an application event filter would see every event of every widget."""

    def __init__(self, action: QAction, parent: QObject) -> None:
        super().__init__(parent)  # a child of the window: the connection goes with it
        self.action = action
        app = QApplication.instance()
        assert isinstance(app, QApplication)  # a window exists only in a widget application
        app.focusChanged.connect(self.on_focus_changed)

    def on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        self.action.setShortcut(QKeySequence() if isinstance(new, SPACE_USERS) else SPACE)
