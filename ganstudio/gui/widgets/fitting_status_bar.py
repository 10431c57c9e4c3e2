"""A status bar whose messages are drawn shortened in the middle to the room left of its permanent labels.

QStatusBar cuts a long message at the right edge, and the messages that run long (the run folder they
name) carry their point at the end. currentMessage() still gives the whole message, and the bar's tooltip
shows it while it is drawn shortened; a resize or a label that grows fits it again."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QStatusBar, QWidget

MESSAGE_INSET = 8  # px: Qt draws the message from 6 px in, and stops 2 px short of the first label
SMALLEST_ROOM = 40  # px: below this an elided message is a lone "…"; Qt's own cut shows more


class FittingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self._whole = ""  # the message as given
        self._drawn = ""  # what QStatusBar was given to draw for it
        self._timeout = 0
        self._shown_for = QElapsedTimer()
        self._fitting = False  # drawing moves no label, but a style might: no second fit inside the first
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int | None = 0) -> None:
        super().addPermanentWidget(widget, stretch or 0)
        self._permanent.append(widget)
        widget.installEventFilter(self)

    def showMessage(self, message: str, timeout: int | None = 0) -> None:
        self._whole, self._timeout = message, timeout or 0
        self._shown_for.start()
        self._draw()

    def currentMessage(self) -> str:
        drawn = super().currentMessage()
        return self._whole if drawn and drawn == self._drawn else drawn  # a status tip Qt showed itself

    def message_room(self) -> int:
        """The width the message may take, up to the first visible permanent label; 0 (no limit) while the
        bar is not on screen."""
        if not self.isVisible():
            return 0
        layout = self.layout()
        if layout is not None:
            layout.activate()  # a permanent label whose text just changed has not been moved yet
        lefts = [w.x() for w in self._permanent if w.isVisible() and w.x() > 0]
        return (min(lefts) if lefts else self.width()) - MESSAGE_INSET

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide):
            self._refit()
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refit()

    def _draw(self) -> None:
        room = self.message_room()
        fits = room < SMALLEST_ROOM or self.fontMetrics().horizontalAdvance(self._whole) <= room
        self._drawn = (
            self._whole if fits else self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideMiddle, room)
        )
        left = max(1, self._timeout - self._shown_for.elapsed()) if self._timeout else 0
        super().showMessage(self._drawn, left)
        self.setToolTip(self._whole if self._drawn != self._whole else "")

    def _refit(self) -> None:
        if self._whole and not self._fitting and super().currentMessage() == self._drawn:
            self._fitting = True
            try:
                self._draw()
            finally:
                self._fitting = False

    def _on_message_changed(self, drawn: str) -> None:
        if drawn != self._drawn:  # cleared, timed out, or a status tip: the whole message is gone
            self._whole = self._drawn = ""
            self.setToolTip("")
