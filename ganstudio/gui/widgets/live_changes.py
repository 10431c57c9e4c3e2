"""Change while running: the fields marked live in the config (learning rates, k, instance noise, EMA
decay), applied on the next step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from ganstudio.core.config import CONFIG_FIELDS, RunConfig
from ganstudio.gui.tooltips import wrap_tooltips
from ganstudio.gui.widgets.field_binders import FieldBinder, binder_for

LIVE_PREFIX = "live."  # a live control's objectName is this and the field's dotted name: "live.optim.lr_g"


class LiveChangesPanel(QGroupBox):
    changes_requested = Signal(object)  # dict of the fields that differ from the running config

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Change while running", parent)
        self.setObjectName("liveChanges")
        self.setToolTip(
            "Each change takes effect on the next step, is marked on the loss plot and recorded in metrics.jsonl"
        )
        self.binders: dict[str, FieldBinder] = {
            f.name: binder_for(f, LIVE_PREFIX) for f in CONFIG_FIELDS if f.spec.live
        }
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("applyChangesButton")
        self.apply_button.setToolTip("Apply the changed values on the next step (Enter in any field)")
        self.apply_button.clicked.connect(self.apply)
        self.error = QLabel()
        self.error.setObjectName("liveChangesError")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        # Two fields a row keeps the panel short enough to sit below the scrolling setup form, so
        # Apply stays on screen at 1280x800 whatever the form's folds do.
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        labels = []
        for i, binder in enumerate(self.binders.values()):
            label = QLabel(binder.field.spec.label)
            label.setBuddy(binder.widget)
            labels.append(label)
            grid.addWidget(label, i // 2, 2 * (i % 2))
            grid.addWidget(binder.widget, i // 2, 2 * (i % 2) + 1)
            editor = binder.widget.lineEdit() if isinstance(binder.widget, QSpinBox) else binder.widget
            if isinstance(editor, QLineEdit):
                editor.returnPressed.connect(self.apply)
        wrap_tooltips(self, [*(binder.widget for binder in self.binders.values()), *labels])  # as the form's help
        count = len(self.binders)
        grid.addWidget(self.apply_button, count // 2, 2 if count % 2 else 0, 1, 2)
        grid.addWidget(self.error, count // 2 + 1, 0, 1, 4)
        self._current: dict[str, Any] = {}

    def widget(self, name: str) -> QWidget:
        """The control of a live field by its name in a change ("lr_g")."""
        return self.binders[name].widget

    def load(self, config: RunConfig) -> None:
        self._current = {name: b.field.value_in(config) for name, b in self.binders.items()}
        for name, binder in self.binders.items():
            binder.set_value(self._current[name])
        self.error.setText("")

    def show_setup(self, form_binders: dict[str, FieldBinder]) -> None:
        """Greyed while no run is on: the values the next run starts with, as the setup form holds them, typed
        text included (the panel kept the last valid value typed on the way to an invalid one)."""
        for binder in self.binders.values():
            binder.show_as(form_binders[binder.field.path])
        self.error.setText("")

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, binder in self.binders.items():
            problem = binder.typing_problem()
            if problem:  # "abc" is said as typed, as the setup form says it
                raise ValueError(f"{binder.field.spec.label} {problem}")  # the field's label: "lr D", not "lr_d"
            value = binder.value()
            if value != self._current.get(name):
                out[name] = value
        return out

    def apply(self) -> None:
        try:
            changes = self.changes()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        if changes:
            self.changes_requested.emit(changes)

    def applied(self, changes: dict[str, Any]) -> None:
        """What the run now uses, shown in each field the user is not editing: a change another window (or
        a command file) made would otherwise be sent back undone by this window's next Apply. A watched
        run's changes come from its log, which anyone may write: a value its field would refuse (the spin
        box could not even hold it) is not taken as what the run uses."""
        for name, value in changes.items():
            binder = self.binders.get(name)
            if binder is None or (binder.field.kind == "int" and not isinstance(value, int)):
                continue
            if binder.field.spec.range_error(binder.field.kind, value) is not None:
                continue
            untouched = not binder.typing_problem() and binder.value() == self._current.get(name)
            self._current[name] = value
            if untouched:
                binder.set_value(value)

    def refused(self, message: str) -> None:
        """The run refused a change: said here, beside the fields, which go back to the values the run still
        uses. A refused 1.5 left in EMA decay, with the reason in a banner above the tabs, made every later
        Apply refused as well."""
        self.error.setText(message)
        for name, binder in self.binders.items():
            binder.set_value(self._current[name])
