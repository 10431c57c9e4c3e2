"""The explorer's A -> B interpolation controls: pick two latents, then slide or play between them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QPushButton, QSlider, QWidget

from ganstudio.core.explorer_state import Endpoint

INTERP_STEPS = 100
PLAY_FRAME_MS = 40
PLAY_STRIDE = 2  # slider steps per frame: A to B in about two seconds


class InterpolationPanel(QGroupBox):
    endpoint_wanted = Signal(object)  # Endpoint: use the current latent as this end
    moved = Signal(float)  # t in [0, 1]
    play_refused = Signal()  # Play pressed before both ends were set

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Interpolation A -> B (spherical)", parent)
        self.ready = False  # both ends are set: the slider and Play have something to move between
        self._play_direction = 1
        self.set_a_button = QPushButton("Set A", objectName="setAButton")
        self.set_a_button.setToolTip("Use the current latent as A")
        self.set_a_button.clicked.connect(lambda: self.endpoint_wanted.emit(Endpoint.A))
        self.set_b_button = QPushButton("Set B", objectName="setBButton")
        self.set_b_button.setToolTip("Use the current latent as B")
        self.set_b_button.clicked.connect(lambda: self.endpoint_wanted.emit(Endpoint.B))
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="interpSlider")
        self.slider.setRange(0, INTERP_STEPS)
        self.slider.setToolTip("t from A (left) to B (right)")
        self.slider.valueChanged.connect(self._on_slider)
        self.play_button = QPushButton("Play", objectName="playButton")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Loop from A to B and back")
        self.play_button.toggled.connect(self._on_play)
        self._play_timer = QTimer(self)  # an animation clock, not a coalescing one
        self._play_timer.setInterval(PLAY_FRAME_MS)
        self._play_timer.timeout.connect(self._advance)
        grid = QGridLayout(self)
        grid.addWidget(self.set_a_button, 0, 0)
        grid.addWidget(self.set_b_button, 0, 1)
        grid.addWidget(self.play_button, 0, 2)
        grid.addWidget(self.slider, 1, 0, 1, 3)

    def show_endpoints(self, a_set: bool, b_set: bool) -> None:
        self.ready = a_set and b_set
        self.set_a_button.setText("A set" if a_set else "Set A")
        self.set_b_button.setText("B set" if b_set else "Set B")

    def rewind(self) -> None:
        """Back to A, stopped, with no ends set (another model's latents would not fit)."""
        self.play_button.setChecked(False)
        self.show_endpoints(False, False)
        self.slider.setValue(0)

    def _on_slider(self, value: int) -> None:
        if self.ready:
            self.moved.emit(value / INTERP_STEPS)

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.ready:
            self._play_direction = 1
            self._play_timer.start()
            return
        self._play_timer.stop()
        if on:
            self.play_button.setChecked(False)
            self.play_refused.emit()

    def _advance(self) -> None:
        value = self.slider.value() + PLAY_STRIDE * self._play_direction
        if value >= INTERP_STEPS or value <= 0:
            self._play_direction *= -1
        self.slider.setValue(max(0, min(INTERP_STEPS, value)))
