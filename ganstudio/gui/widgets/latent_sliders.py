"""The explorer's latent controls: seed, truncation, one slider per principal direction, raw z[i].

It only reports edits (`edited`) and mirrors an ExplorerState; the panel decides what they mean.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from ganstudio.core.explorer_state import ExplorerState
from ganstudio.core.latent import MAX_DIRECTIONS, Directions

SIGMA_RANGE = 3.0
MAX_SEED = 2_000_000_000


class _ResetOnDoubleClick(QObject):
    def __init__(self, slider: QLabeledDoubleSlider, value: float):
        super().__init__(slider)
        self.slider, self.value = slider, value

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonDblClick:
            self.slider.setValue(self.value)
            return True
        return False


class _KeyboardSteps(QObject):
    """Arrow keys step a slider by a sixtieth of its range, Page keys by a sixth, Home and End go to its ends
    (0.1 and 1 sigma on a direction). superqt's float sliders take focus but leave keys to a TODO."""

    def __init__(self, slider: QLabeledDoubleSlider):
        super().__init__(slider)
        self.slider = slider

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        lo, hi = self.slider.minimum(), self.slider.maximum()
        step = (hi - lo) / 60
        moves = {
            Qt.Key.Key_Right: step,
            Qt.Key.Key_Up: step,
            Qt.Key.Key_Left: -step,
            Qt.Key.Key_Down: -step,
            Qt.Key.Key_PageUp: 10 * step,
            Qt.Key.Key_PageDown: -10 * step,
        }
        key = Qt.Key(event.key())
        if key in moves:
            self.slider.setValue(min(hi, max(lo, self.slider.value() + moves[key])))
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            self.slider.setValue(lo if key == Qt.Key.Key_Home else hi)
        else:
            return False
        return True


def _slider(name: str, lo: float, hi: float, value: float, tip: str) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setObjectName(name)
    slider.setRange(lo, hi)
    slider.setDecimals(2)
    slider.setValue(value)
    slider.setToolTip(tip + " (double-click to reset; arrow, Page, Home and End keys move it)")
    # superqt's container takes Tab focus too, showing none and taking no key: one Tab stop, its slider
    slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    slider.setFocusProxy(slider._slider)
    slider._slider.installEventFilter(_ResetOnDoubleClick(slider, value))
    slider._slider.installEventFilter(_KeyboardSteps(slider))
    return slider


class LatentSliders(QWidget):
    edited = Signal()  # the user changed the seed or a slider; the state already holds the new value

    def __init__(self, state: ExplorerState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self._mirroring = False  # widgets being set from the state: not an edit
        self.seed_spin = QSpinBox(objectName="seedSpin")
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip("The seed of the base latent: the same seed always gives the same image")
        self.seed_spin.valueChanged.connect(self._on_seed)
        self.randomize_button = QPushButton("Randomise", objectName="randomizeButton")
        self.randomize_button.setToolTip("A new random seed")
        self.randomize_button.clicked.connect(self.randomize)
        self.reset_button = QPushButton("Reset all", objectName="resetButton")
        self.reset_button.setToolTip("Put every slider back to zero and truncation to 1")
        self.truncation_slider = _slider(
            "truncationSlider",
            0.0,
            1.5,
            1.0,
            "Truncation: scales z toward the mean; lower is more typical, less varied",
        )
        self.truncation_slider.valueChanged.connect(self._on_truncation)
        seed_row = QHBoxLayout()
        seed_row.addWidget(QLabel("Seed"))
        seed_row.addWidget(self.seed_spin)
        seed_row.addWidget(self.randomize_button)
        seed_row.addWidget(self.reset_button)
        trunc_row = QHBoxLayout()
        trunc_row.addWidget(QLabel("Truncation"))
        trunc_row.addWidget(self.truncation_slider, 1)

        directions_box = QGroupBox("Principal directions (+-3 sigma)")
        grid = QGridLayout(directions_box)
        self.direction_sliders: list[QLabeledDoubleSlider] = []
        self.direction_labels: list[QLabel] = []
        for i in range(MAX_DIRECTIONS):
            label = QLabel(f"{i}")
            slider = _slider(
                f"directionSlider_{i}",
                -SIGMA_RANGE,
                SIGMA_RANGE,
                0.0,
                f"Move along principal direction {i} (0 varies the output most)",
            )
            slider.valueChanged.connect(lambda value, i=i: self._on_direction(i, value))
            grid.addWidget(label, i, 0)
            grid.addWidget(slider, i, 1)
            self.direction_sliders.append(slider)
            self.direction_labels.append(label)

        raw_box = QGroupBox("Raw latent coordinates")
        self.raw_layout = QGridLayout(raw_box)
        self.raw_dim_spin = QSpinBox(objectName="rawDimSpin")
        self.raw_dim_spin.setToolTip("Which latent coordinate z[i] to control with a slider")
        self.add_raw_button = QPushButton("Add slider", objectName="addRawButton")
        self.add_raw_button.setToolTip("Add a slider that sets this coordinate directly")
        self.raw_layout.addWidget(self.raw_dim_spin, 0, 0)
        self.raw_layout.addWidget(self.add_raw_button, 0, 1)
        self.raw_sliders: dict[int, QLabeledDoubleSlider] = {}
        self._raw_labels: list[QLabel] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(seed_row)
        layout.addLayout(trunc_row)
        layout.addWidget(directions_box)
        layout.addWidget(raw_box)

    def randomize(self) -> None:
        self.seed_spin.setValue(int(np.random.default_rng().integers(0, MAX_SEED)))

    def add_raw(self, index: int, start: float) -> QLabeledDoubleSlider:
        """A slider for z[index], starting where the current latent has it."""
        if index in self.raw_sliders:
            return self.raw_sliders[index]
        slider = _slider(f"rawSlider_{index}", -SIGMA_RANGE, SIGMA_RANGE, 0.0, f"Sets z[{index}] directly")
        slider.setValue(float(np.clip(start, -SIGMA_RANGE, SIGMA_RANGE)))
        self.state.raw_values[index] = slider.value()
        slider.valueChanged.connect(lambda value, i=index: self._on_raw(i, value))
        row = len(self.raw_sliders) + 1
        label = QLabel(f"z[{index}]")
        self.raw_layout.addWidget(label, row, 0)
        self.raw_layout.addWidget(slider, row, 1)
        self.raw_sliders[index] = slider
        self._raw_labels.append(label)
        return slider

    def mirror(self) -> None:
        """Sets every control to what the state holds (after a reset or another model)."""
        self._mirroring = True
        try:
            self.seed_spin.setValue(self.state.seed)
            self.truncation_slider.setValue(self.state.truncation)
            for slider, value in zip(self.direction_sliders, self.state.direction_values, strict=False):
                slider.setValue(value)
            for index, slider in self.raw_sliders.items():
                slider.setValue(self.state.raw_values.get(index, 0.0))
        finally:
            self._mirroring = False

    def forget_model(self, latent_dim: int | None) -> None:
        """Removes the raw sliders and disables the directions until this model's are found (None: no model)."""
        for widget in [*self.raw_sliders.values(), *self._raw_labels]:
            self.raw_layout.removeWidget(widget)
            widget.deleteLater()
        self.raw_sliders.clear()
        self._raw_labels.clear()
        if latent_dim is not None:
            self.raw_dim_spin.setRange(0, latent_dim - 1)
        self.mirror()
        self.enable_directions(False)
        for i, (slider, label) in enumerate(zip(self.direction_sliders, self.direction_labels, strict=True)):
            slider.setVisible(True)  # the old model's count and shares of variance are not this one's
            label.setVisible(True)
            label.setText(f"{i}")

    def enable_directions(self, on: bool) -> None:
        for slider in self.direction_sliders:
            slider.setEnabled(on)

    def show_directions(self, directions: Directions) -> None:
        """One slider per direction, labelled with the share of variance it explains."""
        count = len(directions.vectors)
        total = float(directions.variances.sum()) or 1.0
        for i, (slider, label) in enumerate(zip(self.direction_sliders, self.direction_labels, strict=True)):
            slider.setEnabled(i < count)
            slider.setVisible(i < count)
            label.setVisible(i < count)
            if i < count:
                label.setText(f"{i} ({100 * directions.variances[i] / total:.0f}%)")

    def set_enabled(self, on: bool) -> None:
        for widget in (
            self.seed_spin,
            self.randomize_button,
            self.reset_button,
            self.truncation_slider,
            self.add_raw_button,
            self.raw_dim_spin,
        ):
            widget.setEnabled(on)
        if not on:  # with no generator they moved and nothing was drawn; directions enable them again
            self.enable_directions(False)

    def _on_seed(self, value: int) -> None:
        self.state.seed = value
        self._edited()

    def _on_truncation(self, value: float) -> None:
        self.state.truncation = value
        self._edited()

    def _on_direction(self, index: int, value: float) -> None:
        self.state.direction_values[index] = value
        self._edited()

    def _on_raw(self, index: int, value: float) -> None:
        self.state.raw_values[index] = value
        self._edited()

    def _edited(self) -> None:
        if not self._mirroring:
            self.state.interp_t = None
            self.edited.emit()
