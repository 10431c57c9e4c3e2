"""The Quality chart: Fréchet distance in the shipped feature space over steps, best step marked.

It takes the plain records the session writes to metrics.jsonl (not QualityReport objects), so
a run opened from disk and a live run draw the same way and the window never imports torch.
A class-conditional run's records carry more: its label accuracy (with the real data's as the
reference), the mean intra-FD, and both per class, which a table beside the chart lists. They are
read when present, so a record without them (an unconditional run, an older run) draws as before.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ganstudio.gui.widgets.fitted_table import filled_at_once, fit_read_only
from ganstudio.gui.widgets.plot_titles import set_title
from ganstudio.gui.widgets.series import GrowingSeries

TITLE = "Quality: Fréchet distance (lower is better)"
SHORT_TITLE = "FD (lower is better)"  # beside a conditional run's per-class table
COLUMNS = ("step", "frechet", "precision", "recall", "density", "coverage")
# a conditional run's per-class scores in the record: class name -> value, and how each is shown
CLASS_COLUMNS = (("class_label_accuracy", "label acc.", "{:.0%}"), ("class_intra_fd", "intra-FD", "{:.1f}"))
NO_LABEL_ACCURACY = "no label accuracy (the shipped classifier knows only the ten Fashion-MNIST classes)"


def class_summary(record: dict) -> str:
    """The conditional scores a record has, as one line ("" for an unconditional run)."""
    parts = []
    if record.get("label_accuracy") is not None:
        real = record.get("real_label_accuracy")
        parts.append(f"label accuracy {record['label_accuracy']:.1%}" + (f" (real data {real:.1%})" if real else ""))
    if record.get("intra_fd") is not None:
        parts.append(f"mean intra-FD {record['intra_fd']:.2f}")
        if record.get("label_accuracy") is None:
            parts.append(NO_LABEL_ACCURACY)
    return " · ".join(parts)


class QualityPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series = GrowingSeries(COLUMNS, capacity=256)
        self.best: tuple[int, float] | None = None
        self.plot = pg.PlotWidget()
        set_title(self.plot, TITLE)
        self.plot.setObjectName("qualityPlot")
        self.plot.setBackground("w")
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "FD")
        self.plot.setToolTip(
            "Fréchet distance in GAN Studio's own feature space: every quality.every steps the EMA "
            "generator (or G) is scored on quality.samples images with the shipped Fashion-MNIST "
            "feature network; the star marks the best step"
        )
        self.curve = self.plot.plot(
            pen=pg.mkPen("#1f77b4", width=1), symbol="o", symbolSize=5, symbolBrush="#1f77b4", symbolPen=None
        )
        self.best_marker = pg.ScatterPlotItem(symbol="star", size=16, brush=pg.mkBrush("#ff7f0e"), pen=pg.mkPen("#333"))
        self.plot.addItem(self.best_marker)
        self.label = QLabel("", objectName="qualityLabel")
        self.label.setWordWrap(True)
        self.class_table = QTableWidget(0, len(CLASS_COLUMNS), objectName="classScoresTable")
        self.class_table.setHorizontalHeaderLabels([title for _, title, _ in CLASS_COLUMNS])
        fit_read_only(self.class_table)  # as wide as its shown columns, sized once a fill ends
        self.class_table.setToolTip(
            "Per class, at the latest evaluation: the share of its samples the shipped "
            "classifier assigns to it, and the Fréchet distance to its real images"
        )
        self.class_table.hide()
        row = QHBoxLayout()
        row.addWidget(self.plot, 1)
        row.addWidget(self.class_table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.label)
        self.setMaximumHeight(240)  # the losses and D outputs keep most of the column
        self.hide()

    def clear(self) -> None:
        self.series.clear()
        self.best = None
        self.curve.setData([], [])
        self.best_marker.setData([], [])
        self.label.setText("")
        self.class_table.setRowCount(0)
        self.class_table.hide()
        set_title(self.plot, TITLE)
        self.hide()

    def keep_until(self, step: int) -> None:
        """The scores past `step` go; the best is the best of those left."""
        if not self.series.keep_until(step):
            return
        steps, frechet = self.series.column("step"), self.series.column("frechet")
        self.curve.setData(steps, frechet)
        self._show_best((int(steps[frechet.argmin()]), float(frechet.min())) if len(steps) else None)
        self.label.setText(self._best_text())

    def add(self, step: int, record: dict, best: bool) -> None:
        """One evaluation (a metrics.jsonl quality record); best says it beat every earlier one."""
        self.add_all([(step, record, best)])

    def add_all(self, scores: list[tuple[int, dict, bool]]) -> None:
        """Evaluations in step order, drawn once, the label and the per-class table for the last: a long
        run's log drawn an evaluation at a time froze the window for seconds (see AccuracyPlot.add_all)."""
        if not scores:
            return
        self.show()
        self.series.extend([[step, *(float(record[name]) for name in COLUMNS[1:])] for step, record, _ in scores])
        self.curve.setData(self.series.column("step"), self.series.column("frechet"))
        bests = [(step, float(record["frechet"])) for step, record, best in scores if best]
        if bests:
            self._show_best(bests[-1])
        step, record, _ = scores[-1]
        text = (
            f"step {step:,}: FD {record['frechet']:.2f} · KID×1000 {1000 * record['kid']:.1f} · "
            f"precision {record['precision']:.2f} · recall {record['recall']:.2f} · "
            f"density {record['density']:.2f} · coverage {record['coverage']:.2f} · "
            f"memorisation ratio {record['memorisation_ratio']:.2f}"
        )
        if "inception_fid" in record:
            text += f" · Inception FID {record['inception_fid']:.1f}"
        if class_summary(record):
            text += f"\n{class_summary(record)}"
        self._show_class_table(record)
        self.label.setText("\n".join(filter(None, (text, self._best_text()))))

    def _show_best(self, best: tuple[int, float] | None) -> None:
        self.best = best
        self.best_marker.setData(*(([best[0]], [best[1]]) if best is not None else ([], [])))

    def _best_text(self) -> str:
        return "" if self.best is None else f"best: FD {self.best[1]:.2f} at step {self.best[0]:,}"

    def _show_class_table(self, record: dict) -> None:
        tables = [record.get(key) or {} for key, _, _ in CLASS_COLUMNS]
        names = list(dict.fromkeys(name for table in tables for name in table))
        if self.class_table.isHidden() == bool(names):
            set_title(self.plot, SHORT_TITLE if names else TITLE)
        self.class_table.setVisible(bool(names))
        for column, table in enumerate(tables):
            self.class_table.setColumnHidden(column, not table)  # no blank column for a score not measured
        with filled_at_once(self.class_table):  # ResizeToContents measured every cell again on each setItem
            self.class_table.setRowCount(len(names))
            self.class_table.setVerticalHeaderLabels(names)
            for row, name in enumerate(names):
                for column, ((_, _, form), table) in enumerate(zip(CLASS_COLUMNS, tables, strict=True)):
                    value = table.get(name)
                    item = QTableWidgetItem("" if value is None else form.format(value))
                    self.class_table.setItem(row, column, item)
