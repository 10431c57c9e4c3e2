"""The distribution lab: the 2014 paper's picture of G and D, live, in 1D and 2D.

1D: the data's density (from its formula where known), generated density, D(x), and the z line
with lines to where G sends each z.
2D: real and generated samples, D over the plane as a heatmap, the gradient field that pushes
generated points, and the image of a regular z grid, at one scale across and up. Plus painting
your own distribution and the mode-collapse metrics for ring-8 and grid-25.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.events import CommandKind
from ganstudio.core.mode_metrics import ModeMetrics
from ganstudio.gui.widgets.first_points import fit_steps_axis
from ganstudio.gui.widgets.plot_titles import legend_title, set_title
from ganstudio.gui.widgets.series import GrowingSeries

if TYPE_CHECKING:  # the engine (and torch) load in the background, after the window is painted
    from ganstudio.core.distribution_frame import DistributionFrame

BRUSH_POINTS = 12


def grid_lines(grid: np.ndarray, pieces: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The rows then the columns of a (side, side, 2) grid of points as one polyline, and for each
    point whether it joins the next: not at the end of a row or column, nor between two latent
    pieces (G jumps there; a line would draw samples it never makes), nor to a non-finite point."""
    parts, joins = [], []
    for g, p in ((grid, pieces), (grid.transpose(1, 0, 2), None if pieces is None else pieces.T)):
        join = np.zeros(g.shape[:2], dtype=bool)
        finite = np.isfinite(g).all(axis=2)
        join[:, :-1] = finite[:, :-1] & finite[:, 1:] & (True if p is None else p[:, :-1] == p[:, 1:])
        parts.append(np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0).reshape(-1, 2))  # unjoined; keeps bounds sane
        joins.append(join.reshape(-1))
    return np.concatenate(parts), np.concatenate(joins)


class DrawingViewBox(pg.ViewBox):
    """A view box that turns left-button drags into painted points while drawing is on."""

    stroke = Signal(float, float)

    def __init__(self):
        super().__init__()
        self.drawing = False

    def mouseDragEvent(self, ev, axis=None):
        if not self.drawing or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        pos = self.mapSceneToView(ev.scenePos())
        self.stroke.emit(pos.x(), pos.y())

    def mouseClickEvent(self, ev):
        if not self.drawing or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseClickEvent(ev)
        ev.accept()
        pos = self.mapSceneToView(ev.scenePos())
        self.stroke.emit(pos.x(), pos.y())


class DistributionView(QWidget):
    step_requested = Signal(object)  # CommandKind.STEP_D, STEP_G or STEP
    train_on_drawing = Signal(object)  # (N, 2) float array of painted points

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.frame: DistributionFrame | None = None
        self.drawn: list[tuple[float, float]] = []
        self._rng = np.random.default_rng(0)
        self.modes = GrowingSeries(("step", "modes", "high_quality", "js"))

        self.box = DrawingViewBox()
        self.plot = pg.PlotWidget(viewBox=self.box)
        self.plot.setObjectName("distributionPlot")
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(10, 10), brush=pg.mkBrush(255, 255, 255, 220))
        self.legend.setZValue(1000)
        self._legend_dim: int | None = None
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setColorMap(pg.colormap.get("CET-D1A"))  # blue (fake) .. red (real)
        self.heatmap.setOpacity(0.55)
        self.real_item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(90, 90, 90, 150))
        self.fake_item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(240, 120, 20, 200))
        self.arrows = pg.PlotDataItem(pen=pg.mkPen(30, 30, 30, 170, width=1), connect="pairs")
        self.manifold = pg.PlotDataItem(pen=pg.mkPen(20, 120, 200, 160, width=1))
        self.real_density = pg.PlotDataItem(pen=pg.mkPen("k", width=2, style=Qt.PenStyle.DotLine))
        self.fake_density = pg.PlotDataItem(pen=pg.mkPen("#2ca02c", width=2))
        self.d_curve = pg.PlotDataItem(pen=pg.mkPen("#1f77b4", width=2, style=Qt.PenStyle.DashLine))
        self.z_lines = pg.PlotDataItem(pen=pg.mkPen(120, 120, 120, 140), connect="pairs")
        self.drawn_item = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(150, 40, 200, 200))
        for item in (
            self.heatmap,
            self.manifold,
            self.real_item,
            self.fake_item,
            self.arrows,
            self.real_density,
            self.fake_density,
            self.d_curve,
            self.z_lines,
            self.drawn_item,
        ):
            self.plot.addItem(item)
        self.heatmap.setZValue(-10)

        self.layer_checks: dict[str, QCheckBox] = {}
        self.layers_row = QWidget()
        layers = QHBoxLayout(self.layers_row)
        layers.setContentsMargins(0, 0, 0, 0)
        for key, label, tip in (
            ("real", "Real", "Real samples"),
            ("fake", "Generated", "Generated samples"),
            ("heatmap", "D heatmap", "D's output over the plane: red says real, blue fake"),
            ("arrows", "Gradient field", "Where D's gradient pushes generated points"),
            ("manifold", "Manifold", "The image of a regular z grid (the generator's manifold)"),
        ):
            check = QCheckBox(label, objectName=f"layer_{key}")
            check.setChecked(True)
            check.setToolTip(tip)
            check.toggled.connect(self._apply_layers)
            layers.addWidget(check)
            self.layer_checks[key] = check
        layers.addStretch(1)

        self.step_d_button = QPushButton("Step D", objectName="stepDButton")
        self.step_d_button.setToolTip("While paused: one discriminator update")
        self.step_g_button = QPushButton("Step G", objectName="stepGButton")
        self.step_g_button.setToolTip("While paused: one generator update")
        self.step_both_button = QPushButton("Step both", objectName="stepBothButton")
        self.step_both_button.setToolTip("While paused: k discriminator updates then one generator update")
        for button, kind in (
            (self.step_d_button, CommandKind.STEP_D),
            (self.step_g_button, CommandKind.STEP_G),
            (self.step_both_button, CommandKind.STEP),
        ):
            button.clicked.connect(lambda _=False, k=kind: self.step_requested.emit(k))
        self.draw_check = QCheckBox("Draw", objectName="drawCheck")
        self.draw_check.setToolTip("Paint your own 2D distribution with the left mouse button")
        self.draw_check.toggled.connect(self._set_drawing)
        self.brush_spin = QDoubleSpinBox(objectName="brushSpin")
        self.brush_spin.setRange(0.01, 2.0)
        self.brush_spin.setSingleStep(0.05)
        self.brush_spin.setValue(0.15)
        self.brush_spin.setToolTip("Brush radius in data units")
        self.clear_button = QPushButton("Clear", objectName="clearDrawingButton")
        self.clear_button.setToolTip("Erase the painted points")
        self.clear_button.clicked.connect(self.clear_drawing)
        self.train_drawn_button = QPushButton("Train on drawing", objectName="trainDrawnButton")
        self.train_drawn_button.setToolTip("Use the painted points as the dataset of a new run")
        self.train_drawn_button.clicked.connect(lambda: self.train_on_drawing.emit(self.drawn_points()))
        controls = QHBoxLayout()
        for w in (self.step_d_button, self.step_g_button, self.step_both_button):
            controls.addWidget(w)
        controls.addSpacing(20)
        for w in (self.draw_check, QLabel("Brush"), self.brush_spin, self.clear_button, self.train_drawn_button):
            controls.addWidget(w)
        controls.addStretch(1)

        entries = [
            ("#9467bd", "modes captured / total"),
            ("#8c564b", "high-quality fraction"),
            ("#17becf", "JS divergence / ln 2"),
        ]
        self.modes_plot = pg.PlotWidget()
        set_title(self.modes_plot, legend_title("Mode collapse (ring-8 / grid-25)", entries))
        self.modes_plot.setObjectName("modesPlot")
        self.modes_plot.setBackground("w")
        self.modes_plot.setFixedHeight(170)
        self.modes_plot.setLabel("bottom", "step")
        self.modes_curve, self.hq_curve, self.js_curve = (
            self.modes_plot.plot(
                pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=4, symbolBrush=colour, symbolPen=None
            )
            for colour, _ in entries
        )
        self.modes_plot.setYRange(0, 1.05)
        self.modes_label = QLabel("", objectName="modesLabel")
        self.modes_plot.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.layers_row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.modes_label)
        layout.addWidget(self.modes_plot)
        self.box.stroke.connect(self.add_stroke)
        self.set_paused(False)

    def set_paused(self, paused: bool) -> None:
        for button in (self.step_d_button, self.step_g_button, self.step_both_button):
            button.setEnabled(paused)

    def clear(self) -> None:
        self.frame = None
        self.modes.clear()
        for item in (self.real_item, self.fake_item, self.drawn_item):
            item.clear()
        for item in (
            self.arrows,
            self.manifold,
            self.real_density,
            self.fake_density,
            self.d_curve,
            self.z_lines,
            self.modes_curve,
            self.hq_curve,
            self.js_curve,
        ):
            item.setData([], [])
        self.heatmap.clear()
        self.modes_label.setText("")
        self.modes_plot.enableAutoRange(axis="x")  # the next run's first point is framed afresh
        self.modes_plot.hide()

    # --- live frames ------------------------------------------------------------------------
    def show_frame(self, frame: DistributionFrame) -> None:
        self.frame = frame
        self._set_legend(frame.dim)
        # 2D: one data unit is as long across as up (a ring stays round); 1D: y is density and D, not x
        self.box.setAspectLocked(frame.dim == 2)
        fake = frame.fake[np.isfinite(frame.fake).all(axis=1)]
        if frame.dim == 1:
            self._show_1d(frame, fake)
        else:
            self._show_2d(frame, fake)
        self._apply_layers()

    def _show_1d(self, frame: DistributionFrame, fake: np.ndarray) -> None:
        xs, z, x_of_z = frame.xs, frame.z_values, frame.x_of_z
        assert xs is not None and z is not None and x_of_z is not None, "a 1-d frame carries its curves"
        edges = np.linspace(xs[0], xs[-1], 61)
        centres = (edges[:-1] + edges[1:]) / 2
        if frame.data_density is not None:  # the exact curve: a histogram of samples would add its own noise
            real_x, real_y = xs, frame.data_density
        else:
            real_x, real_y = centres, np.histogram(frame.real[:, 0], bins=edges, density=True)[0]
        fake_h, _ = np.histogram(fake[:, 0], bins=edges, density=True) if len(fake) else (np.zeros(60), None)
        top = max(real_y.max(), fake_h.max(), 1e-9)  # one scale for both, so their heights compare
        self.real_density.setData(real_x, real_y / top)
        self.fake_density.setData(centres, fake_h / top)
        self.d_curve.setData(xs, frame.d_curve)
        # z line at y = -0.35: z scaled onto the x range, with a line up to G(z) at y = -0.05
        z_on_x = xs[0] + (z - z.min()) / max(float(np.ptp(z)), 1e-9) * (xs[-1] - xs[0])
        pairs_x = np.empty(2 * len(z))
        pairs_y = np.empty(2 * len(z))
        pairs_x[0::2], pairs_x[1::2] = z_on_x, np.clip(x_of_z, xs[0], xs[-1])
        pairs_y[0::2], pairs_y[1::2] = -0.35, -0.05
        self.z_lines.setData(pairs_x, pairs_y)
        for item in (self.real_item, self.fake_item, self.arrows, self.manifold):
            item.setVisible(False)
        self.heatmap.setVisible(False)

    def _show_2d(self, frame: DistributionFrame, fake: np.ndarray) -> None:
        extent, start, vec, manifold = frame.extent, frame.arrow_from, frame.arrow_vec, frame.manifold
        assert extent is not None and start is not None and vec is not None and manifold is not None, (
            "a 2-d frame carries all its layers"
        )
        self.real_item.setData(frame.real[:, 0], frame.real[:, 1])
        self.fake_item.setData(fake[:, 0], fake[:, 1])
        x0, x1, y0, y1 = extent
        self.heatmap.setImage(frame.d_map, levels=(0, 1) if frame.d_label == "D(x)" else None)
        self.heatmap.setRect(x0, y0, x1 - x0, y1 - y0)
        xs = np.empty(2 * len(start))
        ys = np.empty(2 * len(start))
        xs[0::2], xs[1::2] = start[:, 0], start[:, 0] + vec[:, 0]
        ys[0::2], ys[1::2] = start[:, 1], start[:, 1] + vec[:, 1]
        self.arrows.setData(xs, ys)
        points, connect = grid_lines(manifold, frame.manifold_pieces)
        self.manifold.setData(points[:, 0], points[:, 1], connect=connect)
        for item in (self.real_density, self.fake_density, self.d_curve, self.z_lines):
            item.setVisible(False)

    def _set_legend(self, dim: int) -> None:
        if dim == self._legend_dim:
            return
        self._legend_dim = dim
        self.legend.clear()
        items = (
            ((self.real_density, "data density"), (self.fake_density, "G density"), (self.d_curve, "D(x)"))
            if dim == 1
            else (
                (self.real_item, "real"),
                (self.fake_item, "generated"),
                (self.arrows, "G's gradient"),
                (self.manifold, "G(z grid)"),
            )
        )
        for item, name in items:
            self.legend.addItem(item, name)
        self.layers_row.setVisible(dim == 2)

    def _apply_layers(self) -> None:
        if self.frame is None or self.frame.dim == 1:
            for item in (self.real_density, self.fake_density, self.d_curve, self.z_lines):
                item.setVisible(self.frame is not None)
            return
        for key, item in (
            ("real", self.real_item),
            ("fake", self.fake_item),
            ("heatmap", self.heatmap),
            ("arrows", self.arrows),
            ("manifold", self.manifold),
        ):
            item.setVisible(self.layer_checks[key].isChecked())

    def add_modes(self, step: int, metrics: ModeMetrics) -> None:
        self.add_all_modes([(step, metrics)])

    def add_all_modes(self, measured: list[tuple[int, ModeMetrics]]) -> None:
        """Measurements in step order, drawn once, as the other score charts draw a run's history."""
        if not measured:
            return
        self.modes_plot.show()
        self.modes.extend(
            [[step, m.modes_captured / m.modes_total, m.high_quality, m.js / np.log(2)] for step, m in measured]
        )
        steps = self.modes.column("step")
        self.modes_curve.setData(steps, self.modes.column("modes"))
        self.hq_curve.setData(steps, self.modes.column("high_quality"))
        self.js_curve.setData(steps, self.modes.column("js"))
        step, metrics = measured[-1]
        fit_steps_axis(self.modes_plot, len(self.modes), step, added=len(measured))
        self.modes_label.setText(
            f"step {step:,}: {metrics.modes_captured}/{metrics.modes_total} modes, "
            f"{100 * metrics.high_quality:.1f}% high-quality, JS {metrics.js:.3f}"
        )

    # --- drawing ----------------------------------------------------------------------------
    def _set_drawing(self, on: bool) -> None:
        self.box.drawing = on
        self.box.setMouseEnabled(not on, not on)
        if on:
            self.box.setAspectLocked(True)  # a painted circle stays a circle
        if on and self.frame is None and not self.drawn:
            self.box.setRange(xRange=(-2, 2), yRange=(-2, 2))

    def add_stroke(self, x: float, y: float) -> None:
        radius = self.brush_spin.value()
        angle = self._rng.uniform(0, 2 * np.pi, BRUSH_POINTS)
        r = radius * np.sqrt(self._rng.uniform(0, 1, BRUSH_POINTS))
        self.drawn.extend(zip(x + r * np.cos(angle), y + r * np.sin(angle), strict=True))
        pts = self.drawn_points()
        self.drawn_item.setData(pts[:, 0], pts[:, 1])

    def clear_drawing(self) -> None:
        self.drawn.clear()
        self.drawn_item.clear()

    def drawn_points(self) -> np.ndarray:
        return np.asarray(self.drawn, dtype=np.float64).reshape(-1, 2)
