"""A side panel's scroll area: it scrolls up and down only, and the mouse wheel scrolls it even over a field."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollArea, QWidget

WHEEL_FIELDS = (QAbstractSpinBox, QComboBox, QAbstractSlider)  # the fields a wheel turn would change


class VerticalScrollArea(QScrollArea):
    """It asks for the width its content needs plus the scroll bar, so the content is never narrower than its
    minimum and focus moving along the fields never scrolls sideways (which had cut the labels to "reset" and
    "ataset"). Only a field that has focus takes the wheel, so scrolling past the Seed, or past a slider,
    never changes it. A field added after the panel was built is guarded once its maker calls guard_new_fields
    (the Explorer's raw-latent sliders): looking for new fields on every layout request walked the whole panel
    on every Play frame and every form edit."""

    def __init__(self, content: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._wheel_fields: set[QWidget] = set()
        self.guard_new_fields()

    def guard_new_fields(self) -> None:
        """Every wheel-turned field in the content not yet guarded."""
        content = self.widget()
        if content is None:
            return
        for kind in WHEEL_FIELDS:
            for field in content.findChildren(kind):
                if field not in self._wheel_fields:
                    self._wheel_fields.add(field)
                    field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel turn no longer focuses it
                    field.installEventFilter(self)
                    field.destroyed.connect(lambda _=None, f=field: self._wheel_fields.discard(f))

    def minimumSizeHint(self) -> QSize:
        inner = self.widget()
        content = inner.minimumSizeHint().width() if inner is not None else 0
        chrome = self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
        return QSize(content + chrome, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # a fold opened or a row appeared: the needed width may have changed
        if event.type() == QEvent.Type.Wheel and watched in self._wheel_fields and not watched.hasFocus():
            QApplication.sendEvent(self.verticalScrollBar(), event)
            return True
        return super().eventFilter(watched, event)
