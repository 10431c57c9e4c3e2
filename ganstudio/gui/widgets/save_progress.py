"""A long image set's progress while it is written on the GUI thread: a window-modal dialog with Cancel,
events processed between chunks so the window repaints. A thread would need a copy of the generator for
every save; the set is written a chunk at a time anyway, and Cancel leaves nothing behind."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget


class SaveCancelled(Exception):
    """The user pressed Cancel: write_image_set removes what it wrote and lets this through."""


class SaveProgress:
    def __init__(self, parent: QWidget, shown_above: int, title: str = "Save image set"):
        """shown_above: sets of at most this many images end before a dialog would be worth showing."""
        self.parent = parent
        self.shown_above = shown_above
        self.title = title
        self.dialog: QProgressDialog | None = None

    def update(self, written: int, total: int) -> None:
        """write_image_set's progress callback; raises SaveCancelled once Cancel was pressed."""
        if total <= self.shown_above:
            return
        if self.dialog is None:
            self.dialog = QProgressDialog("Writing the image set...", "Cancel", 0, total, self.parent)
            self.dialog.setObjectName("imageSetProgress")
            self.dialog.setWindowTitle(self.title)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(0)
            self.dialog.setAutoReset(False)  # at its maximum it would reset, and forget a Cancel pressed then
            self.dialog.setAutoClose(False)
        self.dialog.setLabelText(f"Writing the image set... {written:,} of {total:,} images")
        self.dialog.setValue(written)  # after the text: a modal dialog's setValue repaints it
        QApplication.processEvents()
        if self.dialog.wasCanceled():
            raise SaveCancelled

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.deleteLater()
            self.dialog = None
