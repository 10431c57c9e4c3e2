"""The alarm banner above the tabs: what went wrong at which step, and buttons for the remedies."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from ganstudio.core.events import Remedy

STYLE = "background: #fdecea; color: #611a15; padding: 6px; border: 1px solid #f5c6cb;"
CALM_STYLE = "background: #e8f0fe; color: #1a3a5c; padding: 6px; border: 1px solid #b6cdee;"  # a stop asked for


class AlarmBanner(QWidget):
    remedy_chosen = Signal(object)  # the Remedy whose button was pressed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alarmBannerRow")
        self.message = QLabel(objectName="alarmBanner")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(STYLE)
        self.calm = False
        self.health_alarm: tuple[int, str] | None = None  # (step, kind) of the monitor's alarm shown
        self.close_button = QToolButton(objectName="alarmBannerClose")
        self.close_button.setText("x")
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        self.remedy_buttons: list[QPushButton] = []
        self.remedy_row = QHBoxLayout()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.message, 1)
        row.addLayout(self.remedy_row)
        row.addWidget(self.close_button)
        self.hide()

    def show_alarm(
        self, step: int, message: str, remedies: Iterable[Remedy] = (), calm: bool = False, health: str = ""
    ) -> str:
        """Shows the banner until dismissed, so it says the step it is about (the run goes on meanwhile);
        returns the line for the status bar, which names the remedies its buttons offer. calm: news that is
        not a fault (a run stopped as asked), in blue, not in the red of a failure. health: the kind of the
        training monitor's alarm this is ("divergence"), empty for any other message."""
        text = f"Step {step:,}: {message}"
        remedies = tuple(remedies)
        self.health_alarm = (step, health) if health else None
        self.calm = calm
        self.message.setStyleSheet(CALM_STYLE if calm else STYLE)
        for button in self.remedy_buttons:
            self.remedy_row.removeWidget(button)
            button.deleteLater()
        self.remedy_buttons = []
        for i, remedy in enumerate(remedies):
            button = self.add_button(
                remedy.label,
                f"remedyButton_{i}",
                "Applies on the next step"
                if remedy.live or remedy.rewind
                else "Changes the setup; takes effect in the next run",
            )
            button.clicked.connect(lambda _=False, r=remedy: self.remedy_chosen.emit(r))
        self.message.setText(text)
        self.show()
        return f"{text} {'; '.join(remedy.label for remedy in remedies)}" if remedies else text

    def keeps_over(self, step: int, kind: str) -> bool:
        """Whether the health alarm the banner shows stays over a new one of the same step that is no graver
        (core.health.ALARM_GRAVITY): a divergence is not replaced by the oscillation it causes, whichever
        check ran first. The alarm shown is said again (with its remedies once they are known)."""
        from ganstudio.core.health import graver

        shown = self.health_alarm
        return self.isVisible() and shown is not None and shown[0] == step and graver(shown[1], kind)

    def add_button(self, text: str, name: str, tip: str) -> QPushButton:
        """An action beside the message (the remedies are some)."""
        button = QPushButton(text, objectName=name)
        button.setToolTip(tip)
        self.remedy_row.addWidget(button)
        self.remedy_buttons.append(button)
        return button
