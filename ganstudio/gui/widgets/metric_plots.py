"""Live loss and D-output plots, with the 2014 paper's equilibrium marked.

Data lives in growable numpy buffers and curves are redrawn at most ~10 times a second with
peak downsampling and clip-to-view, so a million points stay smooth.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ganstudio.core.stats import EQUILIBRIUM_D_LOSS, STAT_FIELDS, StepStats
from ganstudio.gui.widgets.quality_plot import QualityPlot
from ganstudio.gui.widgets.series import GrowingSeries

REDRAW_MS = 100
MAX_REDRAW_MS = 2000
REDRAW_COST_FACTOR = 10  # wait ten times as long as a redraw took before the next one
COLOURS = {"loss_d": "#1f77b4", "loss_g": "#ff7f0e", "d_real": "#2ca02c", "d_fake": "#d62728"}


def _plot(name: str, title: str, y_label: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(title=title)
    plot.setObjectName(name)
    plot.setBackground("w")
    plot.setLabel("bottom", "step")
    plot.setLabel("left", y_label)
    legend = plot.addLegend(offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#ccc"))
    legend.setZValue(1000)  # above the curves
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    return plot


def _reference(plot: pg.PlotWidget, y: float, text: str) -> pg.InfiniteLine:
    line = pg.InfiniteLine(pos=y, angle=0, pen=pg.mkPen("#555", width=1, style=Qt.PenStyle.DashLine),
                           label=text, labelOpts={"position": 0.05, "color": "#555", "anchors": [(0, 1), (0, 1)]})
    plot.addItem(line)
    return line


class MetricPlots(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series = GrowingSeries(STAT_FIELDS)
        self.marks: list[tuple[pg.PlotWidget, pg.InfiniteLine]] = []
        self.loss_plot = _plot("lossPlot", "Losses", "loss")
        self.prob_plot = _plot("probPlot", "Discriminator outputs", "mean D")
        self.prob_plot.setXLink(self.loss_plot)
        self.curves = {
            "loss_d": self.loss_plot.plot(name="D loss (real + fake)", pen=pg.mkPen(COLOURS["loss_d"], width=1)),
            "loss_g": self.loss_plot.plot(name="G loss", pen=pg.mkPen(COLOURS["loss_g"], width=1)),
            "d_real": self.prob_plot.plot(name="D(x), real", pen=pg.mkPen(COLOURS["d_real"], width=1)),
            "d_fake": self.prob_plot.plot(name="D(G(z)), generated", pen=pg.mkPen(COLOURS["d_fake"], width=1)),
        }
        self.equilibrium_line = _reference(self.loss_plot, EQUILIBRIUM_D_LOSS, "2 ln 2 = 1.386 (D at equilibrium)")
        self.half_line = _reference(self.prob_plot, 0.5, "D = 1/2")
        self.prob_plot.setYRange(0, 1)
        self.quality = QualityPlot()
        self.quality.plot.setXLink(self.loss_plot)

        self.auto_range = QCheckBox("Auto-range", objectName="autoRangeCheck")
        self.auto_range.setChecked(True)
        self.auto_range.setToolTip("Follow the data; untick to keep the zoom you set with the mouse")
        self.auto_range.toggled.connect(self._set_auto_range)
        self.export_png_button = QPushButton("Export PNG...", objectName="exportPngButton")
        self.export_png_button.setToolTip("Save both plots as one PNG picture")
        self.export_png_button.clicked.connect(self._ask_png)
        self.export_csv_button = QPushButton("Export CSV...", objectName="exportCsvButton")
        self.export_csv_button.setToolTip("Save every logged step's statistics as CSV")
        self.export_csv_button.clicked.connect(self._ask_csv)

        bar = QHBoxLayout()
        bar.addWidget(self.auto_range)
        bar.addStretch(1)
        bar.addWidget(self.export_png_button)
        bar.addWidget(self.export_csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.prob_plot, 2)
        layout.addWidget(self.quality, 2)

        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def mark(self, step: int, text: str) -> None:
        """A vertical line at a step where something changed (a hyperparameter, an alarm)."""
        for plot in (self.loss_plot, self.prob_plot):
            line = pg.InfiniteLine(pos=step, angle=90, pen=pg.mkPen("#9467bd", width=1, style=Qt.PenStyle.DotLine),
                                   label=text if plot is self.loss_plot else None,
                                   labelOpts={"position": 0.95, "color": "#9467bd", "rotateAxis": (1, 0)})
            plot.addItem(line)
            self.marks.append((plot, line))

    def clear(self) -> None:
        for plot, line in self.marks:
            plot.removeItem(line)
        self.marks.clear()
        self.series.clear()
        self.quality.clear()
        self._dirty = True
        self._redraw()

    def add_stats(self, stats: list[StepStats]) -> None:
        if not stats:
            return
        self.series.extend(np.array([[getattr(s, f) for f in STAT_FIELDS] for s in stats], dtype=np.float64))
        self._dirty = True

    def _redraw(self) -> None:
        """Pushes the buffers to the curves; the interval stretches with the cost so that even a
        million points leave the GUI thread mostly idle."""
        if not self._dirty:
            return
        self._dirty = False
        started = time.perf_counter()
        steps = self.series.column("step")
        for name, curve in self.curves.items():
            curve.setData(steps, self.series.column(name), connect="finite")
        cost_ms = (time.perf_counter() - started) * 1000
        self._timer.setInterval(int(min(MAX_REDRAW_MS, max(REDRAW_MS, REDRAW_COST_FACTOR * cost_ms))))

    def flush(self) -> None:
        """Redraw now (tests and exports want the latest data on screen)."""
        self._dirty = True
        self._redraw()

    def _set_auto_range(self, on: bool) -> None:
        for plot in (self.loss_plot, self.prob_plot):
            if on:
                plot.enableAutoRange()
            else:
                plot.disableAutoRange()

    def export_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(STAT_FIELDS)
            for row in self.series.rows():
                writer.writerow([int(row[0]), *(f"{v:.6g}" for v in row[1:])])

    def export_png(self, path: str | Path) -> None:
        self.flush()
        self.grab().save(str(path), "PNG")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "losses.png", "PNG images (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export statistics", "metrics.csv", "CSV files (*.csv)")
        if path:
            self.export_csv(path)
