"""The classifier tab's tables show a few numbers each: read-only, and as large as their cells, so the
tab's layout (not a scroll bar inside a table) decides what is seen."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractScrollArea, QHeaderView, QTableWidget


def fit_read_only(table: QTableWidget, stretch_columns: bool = False) -> None:
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    columns = QHeaderView.ResizeMode.Stretch if stretch_columns else QHeaderView.ResizeMode.ResizeToContents
    table.horizontalHeader().setSectionResizeMode(columns)
