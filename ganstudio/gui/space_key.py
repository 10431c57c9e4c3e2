"""Space pauses and resumes the run, except where the keyboard focus is on a control that Space
presses or types into: a window-wide shortcut would take the key from a focused button (Randomise,
Play, a checkbox) and pause the run instead of pressing it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

SPACE_USERS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractItemView, QTextEdit, QPlainTextEdit)


class SpaceForFocusedControls(QObject):
    """An application event filter: a focused control that uses Space overrides the shortcut, so the key
    press goes to it (Qt's ShortcutOverride, accepted)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Space
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and isinstance(watched, SPACE_USERS)
        ):
            event.accept()
            return True
        return False
