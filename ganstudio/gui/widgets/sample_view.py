"""The live sample grid (or real-vs-generated scatter for toy data) and a slider through its history.

The live frame arrives up to a few times a second; the frames saved to samples/ are the
history the slider scrubs (kept as small uint8 arrays, a few hundred KB for a long run).
A conditional run's grid has one row per class (the same latents in every row, so a column is one
style in each class); the class names are written beside the rows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from ganstudio.core.events import SampleFrame
from ganstudio.core.imaging import GRID_PAD, SAMPLE_GRID_COLUMNS

LABEL_MARGIN = 0.5  # room left of the grid for the class names, as a share of its width


class SampleView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = pg.PlotWidget()
        self.view.setObjectName("sampleView")
        self.view.setBackground("w")
        self.view.setToolTip("The generator's output for a fixed batch of noise; it sharpens as training goes")
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.real_item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(120, 120, 120, 160), name="real")
        self.fake_item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(230, 110, 20, 200), name="generated")
        self.view.addItem(self.image_item)
        self.view.addItem(self.real_item)
        self.view.addItem(self.fake_item)
        self.legend = self.view.addLegend(offset=(10, 10))
        self.legend.addItem(self.real_item, "real")
        self.legend.addItem(self.fake_item, "generated")

        self.history_slider = QSlider(Qt.Orientation.Horizontal, objectName="historySlider")
        self.history_slider.setToolTip("Scrub back through this run's saved sample grids; far right follows live")
        self.history_slider.setRange(0, 0)
        self.history_slider.valueChanged.connect(self._show_selected)
        self.caption = QLabel("no samples yet", objectName="sampleCaption")
        self.caption.setToolTip(
            "The step the picture shown is from: a grid saved to samples/, the latest live "
            "picture (1-2 s old while training), or the step the run ended at"
        )
        row = QHBoxLayout()
        row.addWidget(self.history_slider, 1)
        row.addWidget(self.caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

        self.class_names: tuple[str, ...] = ()
        self.row_labels: list[pg.TextItem] = []
        self.history: list[SampleFrame] = []
        self.live: SampleFrame | None = None
        self.shown: SampleFrame | None = None
        self._mode: str | None = None
        self._set_mode("image")

    def clear(self) -> None:
        self.history.clear()
        self.live = None
        self.shown = None
        self.image_item.clear()
        self.real_item.clear()
        self.fake_item.clear()
        self._set_mode("image")
        self.history_slider.setRange(0, 0)
        self.caption.setText("no samples yet")
        self.set_class_names(())

    def set_class_names(self, names: tuple[str, ...]) -> None:
        """A conditional run's classes, in the order of the grid's rows (none: an unconditional run)."""
        self.class_names = tuple(names)
        for item in self.row_labels:
            self.view.removeItem(item)
        self.row_labels = []
        font = QFont()
        font.setPointSize(8)
        for name in self.class_names:
            item = pg.TextItem(name, color="#333", anchor=(1.0, 0.5))
            item.setFont(font)
            item.setVisible(False)
            self.view.addItem(item)
            self.row_labels.append(item)
        self.view.setToolTip(
            "The generator's output for a fixed batch of noise; it sharpens as training goes"
            + (
                "; one row per class, the same noise in every row, so a column is one style in each class"
                if names
                else ""
            )
        )
        self.view.enableAutoRange()
        if self.shown is not None and self.shown.image is not None:
            self._place_row_labels(*self.shown.image.shape[:2])

    @property
    def following_live(self) -> bool:
        return self.history_slider.value() == self.history_slider.maximum()

    def add_frame(self, frame: SampleFrame) -> None:
        follow = self.following_live
        if frame.saved and (not self.history or self.history[-1].step != frame.step):
            self.history.append(frame)
        self.live = frame
        self.history_slider.blockSignals(True)
        self.history_slider.setRange(0, len(self.history))
        if follow:
            self.history_slider.setValue(len(self.history))
        self.history_slider.blockSignals(False)
        if follow:
            self._show(frame)

    def _show_selected(self, index: int) -> None:
        if index >= len(self.history):
            if self.live is not None:
                self._show(self.live)
        else:
            self._show(self.history[index])

    def _show(self, frame: SampleFrame) -> None:
        self.shown = frame
        self.caption.setText(f"step {frame.step:,} ({_kind(frame)})")
        if frame.image is not None:
            self._set_mode("image")
            self.image_item.setImage(frame.image, autoLevels=False, levels=(0, 255))
            self._place_row_labels(frame.image.shape[0], frame.image.shape[1])
        else:
            assert frame.real is not None and frame.fake is not None, "a frame without an image holds points"
            self._set_mode("points" if frame.real.shape[1] == 2 else "line")
            real, fake = _as_2d(frame.real, -0.5), _as_2d(frame.fake, 0.5)
            self.real_item.setData(real[:, 0], real[:, 1])
            finite = np.isfinite(fake).all(axis=1)
            self.fake_item.setData(fake[finite, 0], fake[finite, 1])

    def _set_mode(self, mode: str) -> None:
        if mode == self._mode:
            return
        self._mode = mode
        image = mode == "image"
        item = self.view.getPlotItem()
        item.showAxis("bottom", not image)
        item.showAxis("left", mode == "points")  # 1D points sit on two rows (real below): y means nothing
        self.legend.setVisible(not image)
        self.view.setAspectLocked(True)
        self.view.invertY(image)
        self.image_item.setVisible(image)
        self.real_item.setVisible(not image)
        self.fake_item.setVisible(not image)
        if image:
            self.real_item.clear()
            self.fake_item.clear()
        else:
            self.image_item.clear()
            for item in self.row_labels:  # a toy run's points have no rows
                item.setVisible(False)
        self.view.enableAutoRange()

    def _place_row_labels(self, height: int, width: int) -> None:
        """Puts each class name left of its row; the grid's rows are square images of the width's size."""
        if not self.row_labels:
            return
        side = (width - GRID_PAD) // SAMPLE_GRID_COLUMNS - GRID_PAD
        rows = max(0, (height - GRID_PAD) // (side + GRID_PAD))
        for i, item in enumerate(self.row_labels):
            item.setVisible(i < rows)
            item.setPos(-GRID_PAD, GRID_PAD + i * (side + GRID_PAD) + side / 2)
        self.view.getViewBox().setRange(xRange=(-LABEL_MARGIN * width, width), yRange=(0, height), padding=0.02)

    def visible_row_labels(self) -> list[str]:
        return [item.toPlainText() for item in self.row_labels if item.isVisible()]

    def current_pixels(self) -> np.ndarray | None:
        return None if self.shown is None else self.shown.image


def _kind(frame: SampleFrame) -> str:
    """Which picture this is: a live one lags training by a second or two, a saved one may be long past; the
    last one was "end of run" even for a run stopped at 47 of 5,000, and "last trained" for a killed writer's
    last live picture, steps short of where it got."""
    if frame.final:
        return "last picture"
    return "saved" if frame.saved else "live"


def _as_2d(points: np.ndarray, row: float) -> np.ndarray:
    """1D samples are drawn on a horizontal line (real below, generated above)."""
    if points.shape[1] == 2:
        return points
    return np.concatenate([points, np.full_like(points, row)], axis=1)
