"""The explorer's *Save image set...*: ask what to save, write it, and say where it went or why not."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ganstudio.core.explorer_state import ExplorerState
from ganstudio.gui.widgets.save_progress import SaveCancelled, SaveProgress

if TYPE_CHECKING:
    from ganstudio.core.export import ImageSetSpec
    from ganstudio.gui.widgets.image_set_dialog import ImageSetDialog


class ImageSetSaver(QObject):
    saved = Signal(str)  # a line for the explorer's info label

    def __init__(self, state: ExplorerState, parent: QWidget):
        super().__init__(parent)
        self.state = state
        self.window_parent = parent  # dialogs open over the explorer
        self.error_dialog: QMessageBox | None = None
        self.last_folder: tuple[str, str] | None = None  # (the run's folder then, where its last set went)

    def ask(self, folder: str) -> None:
        if self.state.snapshot is None:
            return
        from ganstudio.gui.widgets.image_set_dialog import ImageSetDialog

        state = self.state
        chosen = self.last_folder[1] if self.last_folder and self.last_folder[0] == folder else folder
        dialog = ImageSetDialog(
            chosen,
            state.has_endpoints,
            state.direction_count,
            self.window_parent,
            state.class_names,
            state.label,
            state.label_b,
            state.seed,
            self._refusal,
        )
        if dialog.exec():  # the next set of this run goes where this one went; another run's, into its own
            self.last_folder = (folder, str(dialog.destination().parent))
            self.save(dialog.destination(), dialog.fill(self.state.spec()))
        dialog.deleteLater()

    def _refusal(self, dialog: ImageSetDialog) -> str:
        """Why write_image_set would refuse the dialog's choices, asked before the dialog closes."""
        from ganstudio.core.export import ExportError, destination_problem

        snapshot = self.state.snapshot
        if snapshot is None:
            return ""
        if (inside := destination_problem(dialog.destination(), snapshot.config)) is not None:
            return inside
        try:
            dialog.fill(self.state.spec()).validate(snapshot.latent_dim, snapshot.num_classes)
        except ExportError as exc:
            return str(exc)
        return ""

    def save(self, dest: str | Path, spec: ImageSetSpec) -> Path | None:
        """Writes the set; a failure shows an error and leaves nothing behind, as does Cancel in the progress
        dialog a set longer than one chunk shows."""
        from ganstudio.core.export import SET_CHUNK, ExportError, write_image_set

        snapshot = self.state.snapshot
        if snapshot is None:
            return None
        progress = SaveProgress(self.window_parent, shown_above=SET_CHUNK)
        try:
            path = write_image_set(
                snapshot,
                spec,
                dest,
                checkpoint=self.state.checkpoint_path,
                checkpoint_sha256=self.state.checkpoint_sha256,
                progress=progress.update,
            )
        except ExportError as exc:
            self.show_error("imageSetError", "Image set not saved", str(exc))
            return None
        except SaveCancelled:
            self.saved.emit("Image set not saved: cancelled, nothing was left behind")
            return None
        finally:
            progress.close()
        self.saved.emit(f"Saved {spec.mode} set to {path}")
        return path

    def show_error(self, name: str, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self.window_parent)
        box.setObjectName(name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_dialog = box
        box.open()
