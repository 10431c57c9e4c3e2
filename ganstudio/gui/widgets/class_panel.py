"""The explorer's class controls for a class-conditional generator: which class to draw, and class
morphing (the class embedding blended from A to B with the latent fixed, slid or played).

It mirrors the ExplorerState's class and reports each change (`edited`); an unconditional generator
hides it. The class selector sits beside the seed (`selector_row`), the morph in its own box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from ganstudio.core.explorer_state import ExplorerState
from ganstudio.gui.widgets.play_loop import PlayLoop

MORPH_STEPS = 100


def _class_combo(name: str, tip: str) -> QComboBox:
    combo = QComboBox(objectName=name)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


class ClassPanel(QGroupBox):
    edited = Signal()  # the class or the morph changed; the state already holds it

    def __init__(self, state: ExplorerState, parent: QWidget | None = None):
        super().__init__("Class morph A -> B (latent fixed)", parent)
        self.setObjectName("classMorphBox")
        self.state = state
        self._mirroring = False
        self.class_combo = _class_combo(
            "explorer_class",
            "The class to draw: the same latent in another class "
            "keeps its style (pose, thickness) where the generator learned one",
        )
        self.selector_row = QWidget(objectName="classSelectorRow")
        row = QHBoxLayout(self.selector_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Class"))
        row.addWidget(self.class_combo, 1)
        self.a_combo = _class_combo("classMorphA", "The class the morph starts at (t = 0): the class drawn")
        self.b_combo = _class_combo(
            "classMorphB", "The class the morph ends at (t = 1); the class drawn, chosen here, swaps A and B"
        )
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="classMorphSlider")
        self.slider.setRange(0, MORPH_STEPS)
        self.slider.setToolTip(
            "t: the class embedding blended from A (left) to B (right); both ends are the pure classes exactly"
        )
        self.play_button = QPushButton("Play", objectName="classMorphPlay")
        self.play_button.setToolTip("Loop from class A to class B and back")
        self.play = PlayLoop(self.slider, self.play_button)
        self.t_label = QLabel("t = 0.00", objectName="classMorphT")
        grid = QGridLayout(self)
        grid.addWidget(QLabel("A"), 0, 0)
        grid.addWidget(self.a_combo, 0, 1)
        grid.addWidget(QLabel("B"), 0, 2)
        grid.addWidget(self.b_combo, 0, 3)
        grid.addWidget(self.slider, 1, 0, 1, 2)
        grid.addWidget(self.t_label, 1, 2)
        grid.addWidget(self.play_button, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.class_combo.currentIndexChanged.connect(self._on_class)
        self.a_combo.currentIndexChanged.connect(self._on_class)
        self.b_combo.currentIndexChanged.connect(self._on_b)
        self.slider.valueChanged.connect(self._on_t)
        self.show_classes(())

    def show_classes(self, names: tuple[str, ...]) -> None:
        """The generator's classes (none: unconditional, and the controls hide)."""
        self.play.stop()
        self._mirroring = True
        for combo in (self.class_combo, self.a_combo, self.b_combo):
            combo.clear()
            combo.addItems(list(names))
        self._mirroring = False
        self.selector_row.setVisible(bool(names))
        self.setVisible(bool(names))
        self.mirror()

    def mirror(self) -> None:
        """Shows the state's class and morph without reporting an edit."""
        self._mirroring = True
        for combo, value in (
            (self.class_combo, self.state.label),
            (self.a_combo, self.state.label),
            (self.b_combo, self.state.label_b),
        ):
            combo.setCurrentIndex(value if combo.count() else -1)
        self.slider.setValue(round(self.state.morph_t * MORPH_STEPS))
        self.t_label.setText(f"t = {self.state.morph_t:.2f}")
        self._mirroring = False

    def _on_class(self, index: int) -> None:
        if self._mirroring or index < 0:
            return
        self.play.stop()
        self.state.set_class(index)
        self.mirror()
        self.edited.emit()

    def _on_b(self, index: int) -> None:
        if self._mirroring or index < 0:
            return
        self.state.set_morph_end(index)
        self.mirror()
        self.edited.emit()

    def _on_t(self, value: int) -> None:
        if self._mirroring:
            return
        self.state.morph_t = value / MORPH_STEPS
        self.t_label.setText(f"t = {self.state.morph_t:.2f}")
        self.edited.emit()
