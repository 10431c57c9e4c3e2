"""Live loss and D-output plots, with the 2014 paper's equilibrium marked.

Data lives in growable numpy buffers and curves are redrawn with peak downsampling and
clip-to-view, so a million points stay smooth. On a 2-core CPU every millisecond the GUI thread
paints stalls the training threads too, so the redraw interval stretches with what a redraw
costs (core/pacing.py) instead of a fixed rate, whose cost grows with the run (CHANGELOG).

While "Auto-range" is ticked the ranges are set by us from the buffers (steps: first to last;
values: the finite min to max the series keeps as rows arrive), never by pyqtgraph's auto-range:
with clip-to-view and downsampling the curves' bounds depend on the view and the view on the
bounds, and once there were more points than pixels that loop repainted forever. Setting the
ranges before the paint also saves the second paint pyqtgraph's deferred auto-range costs on
every redraw. The step axis runs an eighth of the span ahead of the newest step and moves only
when the data reaches its end: an axis whose range changes lays out its ticks and labels again,
a large share of a redraw's cost; one whose range stays put paints a cached picture. The linked
plots' left axes share one width that only grows, so their step axes line up and no axis flips
width between frames.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.pacing import paced_interval
from ganstudio.core.stats import EQUILIBRIUM_D_LOSS, STAT_FIELDS, StepStats
from ganstudio.gui.widgets.log_axis import SparseLogAxis
from ganstudio.gui.widgets.plot_titles import REFERENCE_COLOUR, legend_title, set_title
from ganstudio.gui.widgets.quality_plot import QualityPlot
from ganstudio.gui.widgets.series import GrowingSeries

REDRAW_MS = 250
MAX_REDRAW_MS = 2000
REDRAW_COST_FACTOR = 100  # wait 100 times as long as a redraw (with its paint) took: <= 1 % of a core
AXIS_TEXT_WIDTH = 34  # px for the left axes' tick labels; grows to the widest label seen in a run
PADDING = 0.02
EMPTY_LOG_RANGE = (-1.0, 1.0)  # log10 of 0.1 and 10: the log loss axis when no loss is above 0
REFERENCE_Z = 10  # the dashed reference lines above every curve (pyqtgraph draws curves at 0)
STEP_HEADROOM = 0.125  # the step axis ends this fraction of the span past the newest step
COLOURS = {"loss_d": "#1f77b4", "loss_g": "#ff7f0e", "d_real": "#2ca02c", "d_fake": "#d62728", "augment_p": "#9467bd"}
CURVE_NAMES = {
    "loss_d": "D loss (real + fake)",
    "loss_g": "G loss",
    "d_real": "D(x), real",
    "d_fake": "D(G(z)), generated",
    "augment_p": "p, augmentation",
}
PROB_TITLE = ("D outputs", ("d_real", "d_fake"))
BCE_EQUILIBRIUM = (EQUILIBRIUM_D_LOSS, "2 ln 2 (equilibrium)")
EQUILIBRIUM_LINES = {  # D's loss once G matches the data and D = 1/2 everywhere, for the families that have one
    "minimax": BCE_EQUILIBRIUM,
    "non-saturating": BCE_EQUILIBRIUM,
    "least-squares": (0.25, "1/4 (equilibrium)"),  # 0.5 (1/2 - 1)^2 + 0.5 (1/2)^2
}
HALF = "D = 1/2"


class TimedPlotWidget(pg.PlotWidget):
    """Remembers how long its last paint took: the redraw interval counts painting too, which
    costs more than handing the data over."""

    last_paint_s = 0.0

    def paintEvent(self, event) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        self.last_paint_s = time.perf_counter() - started


def _entries(*keys: str) -> list[tuple[str, str]]:
    return [(COLOURS[key], CURVE_NAMES[key]) for key in keys]


def _plot(name: str, y_label: str) -> pg.PlotWidget:
    plot = TimedPlotWidget(axisItems={"left": SparseLogAxis("left")})
    plot.setObjectName(name)
    plot.setBackground("w")
    plot.setLabel("bottom", "step")
    plot.setLabel("left", y_label)
    plot.getAxis("left").enableAutoSIPrefix(False)  # a diverged run's 1e28 losses read "loss (x1e+24)", ticks 10^-24
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.hideButtons()  # pyqtgraph's "A" button would hand the step axis back to its auto-range
    return plot


def _span(low: float, high: float) -> tuple[float, float]:
    """A range pyqtgraph can draw: a flat series gets one unit around its value."""
    return (low, high) if high > low else (low - 0.5, high + 0.5)


def _reference(plot: pg.PlotWidget, y: float) -> pg.InfiniteLine:
    """A dashed reference line, named in the plot's title row: D's loss hovers at 2 ln 2 by design, so a label
    on the line hid the very curve it explains (and a patch under it, the curve's stretch it covered)."""
    line = pg.InfiniteLine(pos=y, angle=0, pen=pg.mkPen(REFERENCE_COLOUR, width=1, style=Qt.PenStyle.DashLine))
    line.setZValue(REFERENCE_Z)
    plot.addItem(line)
    return line


class MetricPlots(QWidget):
    export_failed = Signal(str)  # what was not saved and why: the window says it in its error dialog

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series = GrowingSeries(STAT_FIELDS)
        self.marks: list[tuple[pg.PlotWidget, pg.InfiniteLine]] = []
        self.loss_plot = _plot("lossPlot", "loss")
        self.prob_plot = _plot("probPlot", "mean D")
        self.prob_plot.setXLink(self.loss_plot)
        self.curves = {
            key: (self.loss_plot if key.startswith("loss") else self.prob_plot).plot(
                name=CURVE_NAMES[key],
                pen=pg.mkPen(COLOURS[key], width=1, style=Qt.PenStyle.DashLine if key == "augment_p" else None),
            )
            for key in COLOURS
        }
        self.showing_p = False  # adaptive augmentation's p shares D's 0..1 axis; named once a run reports it
        self.equilibrium_loss = EQUILIBRIUM_D_LOSS
        self.equilibrium_text: str | None = BCE_EQUILIBRIUM[1]  # the dashed lines' names, None: no lines
        self.equilibrium_line = _reference(self.loss_plot, EQUILIBRIUM_D_LOSS)
        self.half_line = _reference(self.prob_plot, 0.5)
        self._show_titles()
        self.prob_plot.setYRange(0, 1)  # D's outputs are probabilities; a WGAN critic's scores widen it
        self.quality = QualityPlot()
        self._copying_steps = False
        self._share_steps(self.loss_plot, self.quality.plot)
        self._share_steps(self.quality.plot, self.loss_plot)
        # Only the lowest plot names the shared step axis: at 1280x800 each "step" line took ~10 %
        # of a plot's height once the Quality chart shared the column.
        self.loss_plot.getAxis("bottom").showLabel(False)
        self.prob_plot.getAxis("bottom").showLabel(self.quality.isHidden())
        self.quality.installEventFilter(self)
        self.linked = (self.loss_plot, self.prob_plot, self.quality.plot)
        self._reset_text_width()
        self.loss_plot.disableAutoRange()
        self.prob_plot.disableAutoRange()
        self.quality.plot.enableAutoRange(x=False)  # its few points keep pyqtgraph's y auto-range
        for plot in self.linked:
            plot.getViewBox().sigRangeChangedManually.connect(self._zoomed_by_hand)

        self.auto_range = QCheckBox("Auto-range", objectName="autoRangeCheck")
        self.auto_range.setChecked(True)
        self.auto_range.setToolTip(
            "Follow the data; zooming or panning with the mouse unticks it, tick it to follow the newest steps again"
        )
        self.auto_range.toggled.connect(self._set_auto_range)
        self.log_losses = QCheckBox("Log loss axis", objectName="logLossCheck")
        self.log_losses.setToolTip(
            "Draw the losses on a logarithmic axis (feature matching's G loss can span six orders of "
            "magnitude); losses at or below 0, such as a WGAN critic's, are left out while it is ticked"
        )
        self.log_losses.toggled.connect(self._set_log_losses)
        self.export_png_button = QPushButton("Export PNG...", objectName="exportPngButton")
        self.export_png_button.setToolTip("Save both plots as one PNG picture")
        self.export_png_button.clicked.connect(self._ask_png)
        self.export_csv_button = QPushButton("Export CSV...", objectName="exportCsvButton")
        self.export_csv_button.setToolTip("Save every logged step's statistics as CSV")
        self.export_csv_button.clicked.connect(self._ask_csv)

        bar = QHBoxLayout()
        bar.addWidget(self.auto_range)
        bar.addWidget(self.log_losses)
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
        self._step_end: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.quality and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self.prob_plot.getAxis("bottom").showLabel(self.quality.isHidden())
        return super().eventFilter(watched, event)

    def mark(self, step: int, text: str) -> None:
        """A vertical line at a step where something changed (a hyperparameter, an alarm)."""
        for plot in (self.loss_plot, self.prob_plot):
            line = pg.InfiniteLine(
                pos=step,
                angle=90,
                pen=pg.mkPen("#9467bd", width=1, style=Qt.PenStyle.DotLine),
                label=text if plot is self.loss_plot else None,
                # the text's end sits near the top and the rest runs down the line inside
                # the plot (centred on that point, half of it ran off the top)
                labelOpts={"position": 0.95, "color": "#9467bd", "rotateAxis": (1, 0), "anchors": [(1, 0), (1, 1)]},
            )
            plot.addItem(line)
            self.marks.append((plot, line))

    def clear(self) -> None:
        for plot, line in self.marks:
            plot.removeItem(line)
        self.marks.clear()
        self.series.clear()
        self._step_end = None
        self.quality.clear()
        self._show_p_legend(False)
        self._reset_text_width()
        self._show_empty_ranges()
        self._dirty = True
        self._redraw()

    def _show_empty_ranges(self) -> None:
        """The frame a run starts in: a cleared plot kept the last run's ranges (a diverged run's 10^28)."""
        self.loss_plot.setXRange(0, 1, padding=PADDING)
        on = self.log_losses.isChecked()
        self.loss_plot.setYRange(*(EMPTY_LOG_RANGE if on else (0.0, 2 * self.equilibrium_loss)), padding=PADDING)
        self.prob_plot.setYRange(0, 1, padding=PADDING)

    def add_stats(self, stats: list[StepStats]) -> None:
        if not stats:
            return
        self.series.extend(np.array([[getattr(s, f) for f in STAT_FIELDS] for s in stats], dtype=np.float64))
        self._dirty = True

    def keep_until(self, step: int) -> None:
        """The history past `step` goes: the run goes on from there (carried on, or rewound) and trains it again."""
        if self.series.keep_until(step):
            self._dirty = True
        self.quality.keep_until(step)

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
        if len(steps) and self.auto_range.isChecked():
            self._fit_ranges(steps)
        if not self.showing_p and self.series.bounds("augment_p") is not None:
            self._show_p_legend(True)
        self._grow_text_width()
        cost_ms = (time.perf_counter() - started + self.loss_plot.last_paint_s + self.prob_plot.last_paint_s) * 1000
        self._timer.setInterval(int(paced_interval(cost_ms, REDRAW_COST_FACTOR, REDRAW_MS, MAX_REDRAW_MS)))

    def _show_p_legend(self, shown: bool) -> None:
        self.showing_p = shown
        self._show_titles()

    def _show_titles(self) -> None:
        """Each plot's curves and dashed line named in its title row, as the run shows them."""
        lines = self.equilibrium_text is not None
        set_title(self.loss_plot, legend_title("Losses", _entries("loss_d", "loss_g"), self.equilibrium_text))
        title, keys = PROB_TITLE
        outputs = _entries(*keys, *(("augment_p",) if self.showing_p else ()))
        set_title(self.prob_plot, legend_title(title, outputs, HALF if lines else None))

    def flush(self) -> None:
        """Redraw now (tests and exports want the latest data on screen)."""
        self._dirty = True
        self._redraw()

    def _fit_ranges(self, steps: np.ndarray) -> None:
        first, last = float(steps[0]), float(steps[-1])
        if self._step_end is None or not first < last <= self._step_end:
            self._step_end = last + max(1.0, STEP_HEADROOM * (last - first))
        self.loss_plot.setXRange(first, self._step_end, padding=PADDING)
        self._fit_losses()
        low, high = self.series.bounds("d_real", "d_fake") or (0.0, 1.0)
        self.prob_plot.setYRange(min(low, 0.0), max(high, 1.0), padding=PADDING)
        for plot in self.linked:
            plot.getViewBox().updateMatrix()  # now, not in the paint, which would then schedule a second one

    def _fit_losses(self) -> None:
        """The loss axis's range over every loss so far, in log10 units while the axis is logarithmic."""
        loss: tuple[float, float] | None
        if self.log_losses.isChecked():
            positive = self.series.positive_bounds("loss_d", "loss_g")
            # nothing above 0 (a WGAN critic's losses): the decades around 2 ln 2, not a range left in
            # the linear axis's units
            loss = EMPTY_LOG_RANGE if positive is None else (math.log10(positive[0]), math.log10(positive[1]))
        else:
            loss = self.series.bounds("loss_d", "loss_g")
        if loss is not None:
            self.loss_plot.setYRange(*_span(*loss), padding=PADDING)

    def _apply_text_width(self, width: int) -> None:
        for plot in self.linked:
            plot.getAxis("left").setStyle(autoExpandTextSpace=False, tickTextWidth=width)

    def _reset_text_width(self) -> None:
        for plot in self.linked:
            plot.getAxis("left").textWidth = 0  # forget the last run's labels
        self._apply_text_width(AXIS_TEXT_WIDTH)

    def _grow_text_width(self) -> None:
        """One tick-label width for all linked plots (measured at their last paint); it only grows
        within a run, so no axis flips between two widths."""
        needed = int(max(plot.getAxis("left").textWidth for plot in self.linked))
        if needed > self.loss_plot.getAxis("left").style["tickTextWidth"]:
            self._apply_text_width(needed)

    def _share_steps(self, source: pg.PlotWidget, target: pg.PlotWidget) -> None:
        """The quality chart shows the losses' steps by value. pyqtgraph's setXLink lines up screen positions,
        and a conditional run's per-class table makes the chart narrower than the losses: its last
        evaluations fell past its right edge, under the table."""
        source.getViewBox().sigXRangeChanged.connect(lambda _box, steps: self._copy_steps(target, steps))

    def _copy_steps(self, target: pg.PlotWidget, steps: tuple[float, float]) -> None:
        if self._copying_steps:  # the target's own signal, coming back
            return
        self._copying_steps = True
        try:
            target.setXRange(*steps, padding=0)
        finally:
            self._copying_steps = False

    def _zoomed_by_hand(self, *_) -> None:
        self.auto_range.setChecked(False)

    def _set_log_losses(self, on: bool) -> None:
        """pyqtgraph maps the curves to log10 itself, but a reference line and the view's range are in view
        coordinates."""
        self.loss_plot.setLogMode(y=on)
        self._place_equilibrium()
        self._fit_losses()  # a range zoomed by hand is in the other axis's units
        self.flush()

    def show_loss_family(self, kind: str) -> None:
        """The equilibrium lines of the loss family the run trains with. A hinge or WGAN critic's scores have
        no D = 1/2 and its loss no 2 ln 2: the lines sat across its curves as if they had."""
        line = EQUILIBRIUM_LINES.get(kind)
        self.equilibrium_line.setVisible(line is not None)
        self.half_line.setVisible(line is not None)
        self.equilibrium_text = None if line is None else line[1]
        self._show_titles()
        if line is not None:
            self.equilibrium_loss = line[0]
            self._place_equilibrium()

    def _place_equilibrium(self) -> None:
        on = self.log_losses.isChecked()
        self.equilibrium_line.setPos(np.log10(self.equilibrium_loss) if on else self.equilibrium_loss)

    def _set_auto_range(self, on: bool) -> None:
        if on:
            self.flush()

    def export_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(STAT_FIELDS)
            for row in self.series.rows():
                writer.writerow([int(row[0]), *(f"{v:.6g}" for v in row[1:])])

    def export_png(self, path: str | Path) -> bool:
        """The plots alone (the picture held the checkboxes and Export buttons above them); False when the
        file could not be written, which QPixmap.save says only by its result."""
        self.flush()
        shown = [plot.geometry() for plot in (self.loss_plot, self.prob_plot, self.quality) if plot.isVisible()]
        area = shown[0]
        for rect in shown[1:]:
            area = area.united(rect)
        return self.grab(area).save(str(path), "PNG")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "losses.png", "PNG images (*.png)")
        if path and not self.export_png(path):
            self._say_not_saved(path, "the file could not be written")

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export statistics", "metrics.csv", "CSV files (*.csv)")
        if path:
            try:
                self.export_csv(path)
            except OSError as exc:  # a read-only folder, a full disk: said, not a traceback
                self._say_not_saved(path, exc.strerror or str(exc))

    def _say_not_saved(self, path: str, why: str) -> None:
        self.export_failed.emit(f"{path} was not saved: {why}.")
