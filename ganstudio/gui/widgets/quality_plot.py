"""The Quality chart: Fréchet distance in the shipped feature space over steps, best step marked.

It takes the plain records the session writes to metrics.jsonl (not QualityReport objects), so
a run opened from disk and a live run draw the same way and the window never imports torch.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ganstudio.gui.widgets.series import GrowingSeries

COLUMNS = ("step", "frechet", "precision", "recall", "density", "coverage")


class QualityPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series = GrowingSeries(COLUMNS, capacity=256)
        self.best: tuple[int, float] | None = None
        self.plot = pg.PlotWidget(title="Quality: Fréchet distance (lower is better)")
        self.plot.setObjectName("qualityPlot")
        self.plot.setBackground("w")
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "FD")
        self.plot.setToolTip("Fréchet distance in GAN Studio's own feature space: every quality.every steps the EMA "
                             "generator (or G) is scored on quality.samples images with the shipped Fashion-MNIST "
                             "feature network; the star marks the best step")
        self.curve = self.plot.plot(pen=pg.mkPen("#1f77b4", width=1), symbol="o", symbolSize=5,
                                    symbolBrush="#1f77b4", symbolPen=None)
        self.best_marker = pg.ScatterPlotItem(symbol="star", size=16, brush=pg.mkBrush("#ff7f0e"), pen=pg.mkPen("#333"))
        self.plot.addItem(self.best_marker)
        self.label = QLabel("", objectName="qualityLabel")
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.label)
        self.setMaximumHeight(240)  # the losses and D outputs keep most of the column
        self.hide()

    def clear(self) -> None:
        self.series.clear()
        self.best = None
        self.curve.setData([], [])
        self.best_marker.setData([], [])
        self.label.setText("")
        self.hide()

    def add(self, step: int, record: dict, best: bool) -> None:
        """One evaluation (a metrics.jsonl quality record); best says it beat every earlier one."""
        self.show()
        self.series.extend([[step, *(float(record[name]) for name in COLUMNS[1:])]])
        self.curve.setData(self.series.column("step"), self.series.column("frechet"))
        if best:
            self.best = (step, float(record["frechet"]))
            self.best_marker.setData([step], [self.best[1]])
        text = (f"step {step:,}: FD {record['frechet']:.2f} · KID×1000 {1000 * record['kid']:.1f} · "
                f"precision {record['precision']:.2f} · recall {record['recall']:.2f} · "
                f"density {record['density']:.2f} · coverage {record['coverage']:.2f} · "
                f"memorisation ratio {record['memorisation_ratio']:.2f}")
        if "inception_fid" in record:
            text += f" · Inception FID {record['inception_fid']:.1f}"
        if self.best is not None:
            text += f"\nbest: FD {self.best[1]:.2f} at step {self.best[0]:,}"
        self.label.setText(text)
