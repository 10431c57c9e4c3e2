"""The Classifier tab's chart: D-as-classifier's held-out accuracy over steps, and the supervised
baseline's accuracy as a dashed reference line once it has been measured."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ganstudio.gui.widgets.first_points import fit_steps_axis
from ganstudio.gui.widgets.plot_titles import set_title
from ganstudio.gui.widgets.series import GrowingSeries

COLUMNS = ("step", "accuracy")  # accuracy in percent


class AccuracyPlot(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        set_title(self, "Held-out accuracy of D as a classifier (higher is better)")
        self.setObjectName("accuracyPlot")
        self.setBackground("w")
        self.setLabel("bottom", "step")
        self.setLabel("left", "accuracy", units="%")
        self.setYRange(0, 100)
        self.setToolTip(
            "At each quality check (Score every, in the Quality metrics fold) and at the end, D classifies "
            "the held-out images the run never trains on; the dashed line is the supervised baseline (the "
            "same D network trained on the labelled images alone), once measured"
        )
        self.series = GrowingSeries(COLUMNS, capacity=256)
        self.curve = self.plot(
            pen=pg.mkPen("#2ca02c", width=1), symbol="o", symbolSize=5, symbolBrush="#2ca02c", symbolPen=None
        )
        self.baseline: float | None = None  # its accuracy in percent, when drawn
        self.baseline_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen("#d62728", width=1.5, style=Qt.PenStyle.DashLine),
            label="supervised baseline {value:.1f}%",
            labelOpts={"position": 0.05, "color": "#d62728", "anchors": [(0, 1), (0, 1)]},
        )
        self.baseline_line.hide()
        self.addItem(self.baseline_line)

    def clear_points(self) -> None:
        """The steps axis starts over too: auto-range keeps the last run's span while there is no point. The
        baseline's line stays: it belongs to the run folder (show_baseline), not to the points."""
        self.series.clear()
        self.curve.setData([], [])
        self.setXRange(0, 1, padding=0)
        self.enableAutoRange(axis="x")

    def add_all(self, scores: list[tuple[int, float]]) -> None:
        """Held-out scores (accuracy as a share in [0, 1]) in step order, drawn once: a long run's log drawn a score
        at a time froze the window for seconds (each draw redraws every point before it)."""
        if not scores:
            return
        self.series.extend([[step, 100 * accuracy] for step, accuracy in scores])
        self.curve.setData(self.series.column("step"), self.series.column("accuracy"))
        fit_steps_axis(self, len(self.series), scores[-1][0], added=len(scores))

    def show_baseline(self, accuracy: float | None) -> None:
        """The baseline's accuracy (a share in [0, 1]) as the dashed line; None hides it."""
        self.baseline = None if accuracy is None else 100 * accuracy
        if self.baseline is None:
            self.baseline_line.hide()
            return
        self.baseline_line.show()  # first: a hidden line's label keeps its old text
        self.baseline_line.setPos(self.baseline)
        self.baseline_line.label.valueChanged()  # the same value as before moves nothing, so no new text
