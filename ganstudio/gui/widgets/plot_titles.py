"""Plot titles: the legend in the title row, and a title that never widens its plot. pyqtgraph gives a
title the minimum width of its text, and a plot narrower than its title (the quality chart beside a
conditional run's table, the plots of a 1024 px window) then laid its axes and curves out wider than its
widget: the newest steps were cut off on the right, and the title too."""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtWidgets import QGraphicsItem

REFERENCE_COLOUR = "#555"  # a dashed reference line's (2 ln 2, D = 1/2)


def legend_title(title: str, entries: list[tuple[str, str]], reference: str | None = None) -> str:
    """The legend lives in the title row: a legend box inside the plot sat on the newest points,
    which arrive at the top right where pyqtgraph puts it. reference: the dashed line's name."""
    keys = [(colour, "&#9473;", text) for colour, text in entries]
    if reference is not None:
        keys.append((REFERENCE_COLOUR, "&#9476;", reference))
    shown = "&nbsp;&nbsp;".join(
        f"<span style='color: {colour};'>{glyph}&nbsp;{html.escape(text)}</span>" for colour, glyph, text in keys
    )
    return f"{html.escape(title)}&nbsp;&nbsp;&nbsp;{shown}"


class ClippedTitle(pg.LabelItem):
    """A title label that asks for no width: text wider than the plot is cut at the plot's right edge (its
    start, the plot's name, stays), where pyqtgraph's LabelItem would widen the plot to fit it."""

    def __init__(self, parent: pg.PlotItem):
        super().__init__("", size="11pt", parent=parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)

    def resizeEvent(self, ev: object) -> None:
        self.opts["justify"] = "left" if self.itemRect().width() > self.rect().width() else "center"
        super().resizeEvent(ev)

    def updateMin(self) -> None:
        super().updateMin()
        self.setMinimumWidth(0)

    def sizeHint(self, hint: Qt.SizeHint, constraint: QSizeF | None = None) -> QSizeF:
        if hint in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            return QSizeF(0, self.itemRect().height())
        return super().sizeHint(hint, constraint if constraint is not None else QSizeF())


def set_title(plot: pg.PlotWidget | pg.PlotItem, text: str) -> None:
    """The title, in a label that a narrow plot cuts instead of growing for it."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    if not isinstance(item.titleLabel, ClippedTitle):
        old = item.titleLabel
        item.layout.removeItem(old)
        if old.scene() is not None:
            old.scene().removeItem(old)
        item.titleLabel = ClippedTitle(item)
        item.layout.addItem(item.titleLabel, 0, 0, 1, 3)  # over the left axis too: the legend needs the room
    elif item.titleLabel.text == text and item.titleLabel.isVisible():
        return  # every form edit names the loss family again: the plot is not laid out again for it
    item.setTitle(text)
