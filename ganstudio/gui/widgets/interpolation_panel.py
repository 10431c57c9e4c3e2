"""The explorer's A -> B interpolation controls: pick two latents, then slide or play between them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QPushButton, QSlider, QWidget

from ganstudio.core.explorer_state import Endpoint
from ganstudio.gui.widgets.play_loop import PlayLoop

INTERP_STEPS = 100


class InterpolationPanel(QGroupBox):
    endpoint_wanted = Signal(object)  # Endpoint: use the current latent as this end
    moved = Signal(float)  # t in [0, 1]
    play_refused = Signal()  # Play pressed before both ends were set

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Interpolation A -> B (spherical)", parent)
        self.ready = False  # both ends are set: the slider and Play have something to move between
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
        self.play_button.setToolTip("Loop from A to B and back")
        self.play = PlayLoop(self.slider, self.play_button, lambda: self.ready)
        self.play.refused.connect(self.play_refused)
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
        self.play.stop()
        self.show_endpoints(False, False)
        self.slider.setValue(0)

    def _on_slider(self, value: int) -> None:
        if self.ready:
            self.moved.emit(value / INTERP_STEPS)
