"""One small binder per kind of config field, in the spirit of magicgui's per-control wrappers: each
makes its widget from the field's metadata (name, tooltip, range, choices) and reads and writes the
field's value, so the setup form and the live-changes panel never name a widget by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from ganstudio.core.field_spec import ConfigField

SPIN_MAX = 2**31 - 1  # a QSpinBox holds a C int; the validator's larger bounds are for files and --set


class FieldBinder:
    """A widget bound to one config field; `object_prefix` keeps a second copy's name distinct."""

    widget: QWidget

    def __init__(self, field: ConfigField, object_prefix: str = ""):
        self.field = field
        self.widget = self._make(field)
        self.widget.setObjectName(object_prefix + field.path)
        self.widget.setToolTip(field.spec.help)

    def _make(self, field: ConfigField) -> QWidget:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def on_change(self, callback: Callable[[], None]) -> None:
        raise NotImplementedError

    def on_typing(self, callback: Callable[[], None]) -> None:
        """Called as text is typed that value() reads before on_change's callback: a spin box's uncommitted number."""

    def typing_problem(self) -> str:
        """What is wrong with the text as typed, before the validator sees a value: "" when nothing."""
        return ""

    def show_as(self, other: FieldBinder) -> None:
        """Shows what another binder of the same field holds."""
        self.set_value(other.value())


class IntBinder(FieldBinder):
    widget: QSpinBox

    def _make(self, field: ConfigField) -> QSpinBox:
        spin = QSpinBox()
        spec = field.spec
        spin.setRange(
            int(spec.low if spec.low is not None else -SPIN_MAX),
            int(min(spec.high if spec.high is not None else SPIN_MAX, SPIN_MAX)),
        )
        spin.setSingleStep(spec.step)
        # A number changes the setting when committed (Enter, focus out), and is only checked while typed: typing 3000
        # again passed 3, 30 and 300, each a change that left the preset for good, and an emptied field trained the
        # last digit left
        spin.setKeyboardTracking(False)
        if spec.zero and spec.low == 0:
            spin.setSpecialValueText(spec.zero)
        return spin

    def value(self) -> int:
        """The number typed once the box would take it, before Enter commits it: Start's label follows it (it read
        Start over a number that made it Continue, at the click that took the focus away)."""
        spin = self.widget
        if spin.hasAcceptableInput() and spin.text() != spin.specialValueText():
            return spin.valueFromText(spin.cleanText())
        return spin.value()

    def set_value(self, value: Any) -> None:
        self.widget.setValue(value)

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.valueChanged.connect(callback)

    def on_typing(self, callback: Callable[[], None]) -> None:
        self.widget.lineEdit().textEdited.connect(lambda _text: callback())


class FloatBinder(FieldBinder):
    """A text field rather than a spin box: learning rates are typed as 2e-4, and a spin box would round them."""

    widget: QLineEdit

    def _make(self, field: ConfigField) -> QLineEdit:
        return QLineEdit()

    def value(self) -> float:
        """The number typed, or NaN when it is not one (the validator names the field). Where the desktop writes
        decimals with a comma (German, French...), 0,0005 is 0.0005, as the spin boxes there read it."""
        text = self.widget.text().strip()
        if QLocale().decimalPoint() == "," and text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return math.nan

    def set_value(self, value: Any) -> None:
        """Short where that is exact (2e-4, not 0.0002000000000000000096); else every digit, so a value read back
        is the value shown (1.2345678e-4 read back as 0.000123457 was a change Continue carried on)."""
        text = f"{value:g}"
        self.widget.setText(text if float(text) == value else repr(float(value)))

    def show_as(self, other: FieldBinder) -> None:
        """As typed there, a number or not: "1e999" is not shown as the "1e99" typed on the way to it."""
        assert isinstance(other.widget, QLineEdit)
        self.widget.setText(other.widget.text())

    def typing_problem(self) -> str:
        """ "abc" was read as NaN and said as "must be a finite number, not nan": the user's own text is quoted."""
        text = self.widget.text().strip()
        if not text:
            return "must be a number (the field is empty)"
        if math.isfinite(self.value()):
            return ""
        if "," in text:  # a thousands separator, or a decimal comma where the desktop's decimals take a dot
            return f"must be a number with a dot for decimals (0.0002 or 2e-4), not {text!r}"
        return f"must be a finite number, not {text!r}"

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.textChanged.connect(callback)


class ChoiceBinder(FieldBinder):
    widget: QComboBox

    def _make(self, field: ConfigField) -> QComboBox:
        combo = QComboBox()
        for value, label in (field.spec.choices or {}).items():
            combo.addItem(label, value)
        return combo

    def value(self) -> Any:
        return self.widget.currentData()

    def set_value(self, value: Any) -> None:
        """Selects the value; one the list does not offer leaves the selection as it was."""
        index = self.widget.findData(value)
        if index >= 0:
            self.widget.setCurrentIndex(index)

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.currentIndexChanged.connect(callback)


class BoolBinder(FieldBinder):
    widget: QCheckBox

    def _make(self, field: ConfigField) -> QCheckBox:
        return QCheckBox()

    def value(self) -> bool:
        return self.widget.isChecked()

    def set_value(self, value: Any) -> None:
        self.widget.setChecked(bool(value))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.toggled.connect(callback)


class TextBinder(FieldBinder):
    """Free text such as a path; empty reads as None where the field may be null."""

    widget: QLineEdit

    def _make(self, field: ConfigField) -> QLineEdit:
        return QLineEdit()

    def value(self) -> str | None:
        text = self.widget.text().strip()
        return text or (None if self.field.kind == "str | None" else "")

    def set_value(self, value: Any) -> None:
        self.widget.setText(value or "")

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.textChanged.connect(callback)


class DeviceBinder(ChoiceBinder):
    """train.device: Auto and CPU until the probe lists this machine's devices (SetupForm.set_devices); a
    config naming another one adds it to the list."""

    def _make(self, field: ConfigField) -> QComboBox:
        combo = QComboBox()
        for value, label in (("auto", "Auto"), ("cpu", "CPU")):
            combo.addItem(label, value)
        return combo

    def set_value(self, value: Any) -> None:
        if self.widget.findData(value) < 0:
            self.widget.addItem(value, value)
        super().set_value(value)


def binder_for(field: ConfigField, object_prefix: str = "") -> FieldBinder:
    """The binder that suits the field: its choices as a list, else by its type."""
    if field.spec.choices is not None:
        return ChoiceBinder(field, object_prefix)
    kinds: dict[str, type[FieldBinder]] = {"int": IntBinder, "float": FloatBinder, "bool": BoolBinder}
    return kinds.get(field.kind, TextBinder)(field, object_prefix)
