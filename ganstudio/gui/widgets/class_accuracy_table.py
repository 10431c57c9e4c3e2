"""Per-class accuracy of the latest held-out report, with the baseline's beside it once measured."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from ganstudio.core.semi.report import ClassifierReport
from ganstudio.gui.widgets.fitted_table import filled_at_once, fit_read_only


def _percent(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.1%}"


class ClassAccuracyTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 2, parent)
        self.setObjectName("classAccuracyTable")
        self.setHorizontalHeaderLabels(["accuracy", "baseline"])
        self.setToolTip(
            "Per class, the share of its held-out images D classifies right at the latest check, and the "
            "supervised baseline's share once measured"
        )
        fit_read_only(self)
        self.report: ClassifierReport | None = None
        self.baseline: ClassifierReport | None = None

    def show_report(self, report: ClassifierReport | None) -> None:
        self.report = report
        self._fill()

    def show_baseline(self, baseline: ClassifierReport | None) -> None:
        self.baseline = baseline
        self._fill()

    def _fill(self) -> None:
        names = list(self.report.class_names if self.report else self.baseline.class_names if self.baseline else ())
        with filled_at_once(self):
            self.setRowCount(len(names))
            self.setVerticalHeaderLabels(names)
            self.setColumnHidden(1, self.baseline is None)
            for row, name in enumerate(names):
                for column, report in enumerate((self.report, self.baseline)):
                    item = QTableWidgetItem(_percent(report.per_class.get(name) if report else None))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.setItem(row, column, item)
