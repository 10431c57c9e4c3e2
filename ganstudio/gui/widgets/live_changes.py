"""Change while running: learning rates, k, instance noise and EMA decay, applied on the next step."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from ganstudio.core.config import RunConfig


class LiveChangesPanel(QGroupBox):
    changes_requested = Signal(object)  # dict of the fields that differ from the running config

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Change while running", parent)
        self.setObjectName("liveChanges")
        self.setToolTip("Each change takes effect on the next step, is marked on the loss plot and "
                        "recorded in metrics.jsonl")
        self.lr_g = QLineEdit(objectName="liveLrGEdit")
        self.lr_g.setToolTip("Generator learning rate")
        self.lr_d = QLineEdit(objectName="liveLrDEdit")
        self.lr_d.setToolTip("Discriminator learning rate (TTUR: often 4x G's)")
        self.k = QSpinBox(objectName="liveKSpin")
        self.k.setRange(1, 100)
        self.k.setToolTip("Discriminator steps per generator step")
        self.noise = QLineEdit(objectName="liveNoiseEdit")
        self.noise.setToolTip("Instance-noise std on D's inputs (0 = off)")
        self.ema = QLineEdit(objectName="liveEmaEdit")
        self.ema.setToolTip("EMA decay of G's weights for samples and the explorer (0 = off)")
        self.apply_button = QPushButton("Apply", objectName="applyChangesButton")
        self.apply_button.setToolTip("Apply the changed values on the next step (Enter in any field)")
        self.apply_button.clicked.connect(self.apply)
        self.error = QLabel(objectName="liveChangesError")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        # Two fields a row keeps the panel short enough to sit below the scrolling setup form, so
        # Apply stays on screen at 1280x800 whatever the form's folds do.
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        for row, pairs in enumerate(((("lr G", self.lr_g), ("lr D", self.lr_d)),
                                     (("k", self.k), ("Instance noise", self.noise)),
                                     (("EMA decay", self.ema),))):
            for col, (text, field) in enumerate(pairs):
                label = QLabel(text)
                label.setBuddy(field)
                grid.addWidget(label, row, 2 * col)
                grid.addWidget(field, row, 2 * col + 1)
        grid.addWidget(self.apply_button, 2, 2, 1, 2)
        grid.addWidget(self.error, 3, 0, 1, 4)
        for edit in (self.lr_g, self.lr_d, self.noise, self.ema, self.k.lineEdit()):
            edit.returnPressed.connect(self.apply)
        self._current: dict = {}

    def load(self, config: RunConfig) -> None:
        self._current = {"lr_g": config.optim.lr_g, "lr_d": config.optim.lr_d, "k": config.train.k,
                         "instance_noise": config.train.instance_noise, "ema_decay": config.train.ema_decay}
        self.lr_g.setText(f"{config.optim.lr_g:g}")
        self.lr_d.setText(f"{config.optim.lr_d:g}")
        self.k.setValue(config.train.k)
        self.noise.setText(f"{config.train.instance_noise:g}")
        self.ema.setText(f"{config.train.ema_decay:g}")
        self.error.setText("")

    def changes(self) -> dict:
        values = {"lr_g": self.lr_g.text(), "lr_d": self.lr_d.text(), "instance_noise": self.noise.text(),
                  "ema_decay": self.ema.text()}
        out: dict = {}
        for name, text in values.items():
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{name}: not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{name}: must be finite")
            if value != self._current.get(name):
                out[name] = value
        if self.k.value() != self._current.get("k"):
            out["k"] = self.k.value()
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

    def applied(self, changes: dict) -> None:
        self._current.update(changes)
