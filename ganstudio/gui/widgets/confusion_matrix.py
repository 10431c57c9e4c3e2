"""The latest held-out report's confusion matrix: true classes down, predicted classes across, each
cell shaded by its share of the true class's images, so the diagonal and the confusions stand out."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from ganstudio.core.semi.report import ClassifierReport
from ganstudio.gui.widgets.fitted_table import filled_at_once, fit_read_only

MAX_SHOWN_CLASSES = 40  # a matrix of more classes is no table to read: eval --classifier --json writes it


def _stacked(name: str) -> str:
    """A class name on as many lines as it has words, so ten columns fit beside the chart's width."""
    return name.replace("/", "/\n").replace(" ", "\n")


class ConfusionMatrixTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 0, parent)
        self.setObjectName("confusionMatrix")
        self.setToolTip(
            "The latest held-out check: row = the image's true class, column = the class D chose; "
            "the diagonal holds the right answers, darker cells hold more of the row's images"
        )
        fit_read_only(self)

    def show_report(self, report: ClassifierReport | None) -> None:
        """None, or a report of more than MAX_SHOWN_CLASSES classes, empties the table."""
        with filled_at_once(self):
            if report is None or len(report.class_names) > MAX_SHOWN_CLASSES:
                self.setRowCount(0)
                self.setColumnCount(0)
                return
            names = list(report.class_names)
            self.setRowCount(len(names))
            self.setColumnCount(len(names))
            self.setVerticalHeaderLabels(names)
            self.setHorizontalHeaderLabels([_stacked(name) for name in names])
            for row, counts in enumerate(report.confusion):
                total = sum(counts) or 1
                for column, count in enumerate(counts):
                    item = QTableWidgetItem(f"{count:,}")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    share = count / total
                    base = (44, 160, 44) if row == column else (214, 39, 40)
                    item.setBackground(QColor(*base, int(200 * share)))
                    item.setToolTip(f"true {names[row]}, predicted {names[column]}: {count:,} of {sum(counts):,}")
                    self.setItem(row, column, item)
