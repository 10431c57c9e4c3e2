"""Where the explorer draws: the generated image with its neighbour strip, or, for a toy model, the
point a latent lands on over a cloud of samples."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget


def _bare_plot(name: str) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setObjectName(name)
    plot.setBackground("w")
    plot.setAspectLocked(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.invertY(True)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    return plot


class ExplorerCanvas(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = _bare_plot("explorerView")
        self.view.setMinimumSize(240, 240)  # the explorer fits beside the setup form in a 1024 px window
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.cloud_item = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(120, 120, 120, 120))
        self.point_item = pg.ScatterPlotItem(size=14, pen=pg.mkPen("k"), brush=pg.mkBrush(220, 40, 40))
        for item in (self.image_item, self.cloud_item, self.point_item):
            self.view.addItem(item)
        self.strip = _bare_plot("neighbourStrip")
        self.strip.setFixedHeight(90)
        self.strip.setToolTip("Neighbours: images for latents close to the current one")
        self.strip_item = pg.ImageItem(axisOrder="row-major")
        self.strip.addItem(self.strip_item)
        self.cloud = np.zeros((0, 2))  # the toy model's samples, behind the current point
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.strip)

    def show_image(self, image: np.ndarray) -> None:
        self.image_item.setImage(image, autoLevels=False, levels=(0, 255))

    def show_strip(self, grid: np.ndarray) -> None:
        self.strip_item.setImage(grid, autoLevels=False, levels=(0, 255))

    def set_cloud(self, cloud: np.ndarray) -> None:
        """A toy model's samples, drawn once per model behind the point that moves: a 1-D model's on the x axis."""
        self.cloud = cloud
        line = cloud.shape[1] == 1
        if line:
            cloud = np.concatenate([cloud, np.zeros_like(cloud)], axis=1)
        self.cloud_item.setData(cloud[:, 0], cloud[:, 1])
        self._show_as_line(line)

    def show_point(self, points: np.ndarray) -> None:
        if points.shape[1] == 1:
            points = np.concatenate([points, np.zeros_like(points)], axis=1)
        self.point_item.setData(points[:1, 0], points[:1, 1])

    def clear(self) -> None:
        for item in (self.image_item, self.strip_item, self.cloud_item, self.point_item):
            item.clear()

    def set_toy(self, toy: bool) -> None:
        """A toy model is a point in data space, with axes and panning; an image model is a picture."""
        self.image_item.setVisible(not toy)
        self.strip.setVisible(not toy)
        self.cloud_item.setVisible(toy)
        self.point_item.setVisible(toy)
        self.view.invertY(not toy)
        for axis in ("left", "bottom"):
            if toy:
                self.view.showAxis(axis)
            else:
                self.view.hideAxis(axis)
        if toy:
            self.view.setMouseEnabled(True, True)
        self.view.setAspectLocked(True)
        self.view.enableAutoRange()

    def _show_as_line(self, line: bool) -> None:
        """A 1-D model's points on a line as wide as they are, with no y axis; a 2-D model's on a square plane."""
        self.view.setAspectLocked(not line)
        self.view.showAxis("left", not line)
        self.view.enableAutoRange()
