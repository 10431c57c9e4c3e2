"""A status bar whose messages are shortened in the middle to the room left of its permanent labels.

QStatusBar cuts a long message at the right edge, and the messages that run long (the run folder they
name) carry their point at the end. The whole message stays readable in the bar's tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

GAP = 12  # px between the message and the first permanent label


class FittingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._forget_tooltip)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)

    def showMessage(self, message: str, timeout: int = 0) -> None:
        room = self.message_room()
        fitted = self.fontMetrics().elidedText(message, Qt.TextElideMode.ElideMiddle, room) if room else message
        super().showMessage(fitted, timeout)
        self.setToolTip(message if fitted != message else "")

    def message_room(self) -> int:
        """The width the message may take, up to the first visible permanent label; 0 (no limit) while the
        bar is not laid out on screen."""
        if not self.isVisible():
            return 0
        self.layout().activate()  # a permanent label whose text just changed has not been moved yet
        lefts = [w.x() for w in self._permanent if w.isVisible() and w.x() > 0]
        return max(1, (min(lefts) if lefts else self.width()) - GAP)

    def _forget_tooltip(self, message: str) -> None:
        if not message:
            self.setToolTip("")
