"""Tooltips a person can read: long ones wrapped, and a form's labels showing their field's.

Qt shows a plain-text tooltip on one line, however long: the setup form's help texts ran across the screen.
So a long one is shown in lines of WRAP_CHARS characters when it is asked for (rich text, which Qt wraps
itself, came out a column a few words wide); the widgets keep their text as it is (what tests, the status
bar and screen readers read). A label naming a field has no tooltip of its own: hovering it shows its buddy's,
as the field's own would be (greyed, it says why).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QHelpEvent, Qt
from PySide6.QtWidgets import QLabel, QToolTip, QWidget

WRAP_CHARS = 80


def wrapped(text: str) -> str:
    """The tooltip as shown: plain text in lines of at most WRAP_CHARS characters (rich text as it is)."""
    if Qt.mightBeRichText(text):
        return text
    return "\n".join(textwrap.fill(line, WRAP_CHARS) for line in text.splitlines())


def shown_tip(widget: QWidget) -> str:
    """What hovering widget shows: its own tooltip, or a field label's buddy's."""
    tip = widget.toolTip()
    if not tip and isinstance(widget, QLabel) and widget.buddy() is not None:
        tip = widget.buddy().toolTip()
    return wrapped(tip)


class TooltipWrapper(QObject):
    """An event filter on the widgets whose tooltips are long (the setup form's fields and labels): a tooltip
    asked for goes through shown_tip. Installed on them alone, not on the application, where a Python filter
    would be called for every event of every widget while a run trains."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent) or not isinstance(watched, QWidget):
            return False
        tip = shown_tip(watched)
        if not tip or tip == watched.toolTip():
            return False  # none, or one Qt shows well as it is
        QToolTip.showText(event.globalPos(), tip, watched)
        return True


def wrap_tooltips(owner: QObject, widgets: Iterable[QWidget]) -> None:
    """widgets' tooltips shown wrapped (a label with a buddy, its buddy's); the filter lives as long as owner."""
    wrapper = TooltipWrapper(owner)
    for widget in widgets:
        widget.installEventFilter(wrapper)
