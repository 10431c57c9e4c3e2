"""Play for a 0..STEPS slider: moves it back and forth on a clock while its button is down.

The explorer has two sliders that play this way, A -> B between latents and the class morph; the
clock and the bounce at the ends are the same. Only A -> B can have nothing to move between (A or B
unset); the class morph's ends are two classes always.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPushButton, QSlider

PLAY_FRAME_MS = 40
PLAY_STRIDE = 2  # slider steps per frame: 0 to 100 in about two seconds


class PlayLoop(QObject):
    refused = Signal()  # Play pressed while ready() says there is nothing to move between

    def __init__(self, slider: QSlider, button: QPushButton, ready: Callable[[], bool] = lambda: True):
        super().__init__(button)
        self.slider, self.button, self.ready = slider, button, ready
        self._direction = 1
        self._timer = QTimer(self)  # an animation clock, not a coalescing one
        self._timer.setInterval(PLAY_FRAME_MS)
        self._timer.timeout.connect(self._advance)
        button.setCheckable(True)
        button.toggled.connect(self._on_play)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def stop(self) -> None:
        self.button.setChecked(False)

    def _on_play(self, on: bool) -> None:
        self.button.setText("Pause" if on else "Play")
        if on and self.ready():
            self._direction = 1
            self._timer.start()
            return
        self._timer.stop()
        if on:
            self.button.setChecked(False)
            self.refused.emit()

    def _advance(self) -> None:
        value = self.slider.value() + PLAY_STRIDE * self._direction
        if value >= self.slider.maximum() or value <= self.slider.minimum():
            self._direction *= -1
        self.slider.setValue(max(self.slider.minimum(), min(self.slider.maximum(), value)))
