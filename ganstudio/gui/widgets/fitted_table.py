"""Tables of a few numbers a class (the Classifier tab's, the quality chart's per-class scores): read-only,
filled at once and then sized to their cells; the Classifier tab's are as large as their cells, so its
layout (not a scroll bar inside a table) decides what is seen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtWidgets import QAbstractScrollArea, QHeaderView, QTableWidget

STRETCHED = "stretchedColumns"  # the table's property: its columns share its width, sized by the layout


def fit_read_only(table: QTableWidget, stretch_columns: bool = False) -> None:
    """Sections are sized to their contents once a fill ends (filled_at_once), not by ResizeToContents:
    that mode measures every cell of a section again on each setItem, and a run of 100 classes froze the
    window for seconds at each check."""
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.setProperty(STRETCHED, stretch_columns)
    if stretch_columns:
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    fit_to_contents(table)  # its headers as wide as their labels, not Qt's default 100 px, while empty


@contextmanager
def filled_at_once(table: QTableWidget) -> Iterator[None]:
    """Around a fill of table's cells and headers: drawn and measured once, when it ends."""
    table.setUpdatesEnabled(False)
    try:
        yield
    finally:
        fit_to_contents(table)
        table.setUpdatesEnabled(True)


def fit_to_contents(table: QTableWidget) -> None:
    if not table.property(STRETCHED):
        table.resizeColumnsToContents()
    table.resizeRowsToContents()
