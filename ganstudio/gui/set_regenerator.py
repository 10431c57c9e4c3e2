"""File > Regenerate image set...: an image set's manifest.json written out again, beside the set, as
`ganstudio sample --manifest` does, and checked against what was saved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from ganstudio.core.paths import free_name
from ganstudio.core.user_errors import io_reason
from ganstudio.gui.widgets.save_progress import SaveCancelled, SaveProgress

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow


class SetRegenerator:
    """The window's `sample --manifest`: asks for the manifest, writes the set beside it with a progress
    bar, and says where it went."""

    def __init__(self, window: MainWindow):
        self.window = window

    def ask(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Regenerate image set: choose its manifest.json",
            self.window.files.folder_to_browse(),
            "Image-set manifests (manifest.json);;All files (*)",
        )
        if path:
            self.regenerate(path)

    def regenerate(self, manifest: str | Path) -> Path | None:
        """Writes the set into SET-regenerated beside it; the status bar says where, and whether every image
        came out as saved. What stops it is said in a dialog, and nothing is left behind."""
        from ganstudio.core.checkpoint import CheckpointError
        from ganstudio.core.export import SET_CHUNK, ExportError, regenerate, regeneration_check
        from ganstudio.core.fast_path import serial_torch_here

        w = self.window
        saved = Path(manifest).absolute().parent
        serial_torch_here()  # the GUI thread's torch work must not slow a training run (see serial_torch_here)
        progress = SaveProgress(w, shown_above=SET_CHUNK, title="Regenerate image set")
        try:
            made = regenerate(manifest, free_name(saved.parent, f"{saved.name}-regenerated"), progress=progress.update)
        except (ExportError, CheckpointError) as exc:
            w.errors.show("Image set not regenerated", str(exc))
            return None
        except OSError as exc:  # the manifest itself unreadable, or no free name beside the set
            w.errors.show("Image set not regenerated", io_reason(exc))
            return None
        except SaveCancelled:
            w.statusBar().showMessage("Image set not regenerated: cancelled, nothing was left behind", 8000)
            return None
        finally:
            progress.close()
        w.statusBar().showMessage(f"Regenerated the image set into {made}: {regeneration_check(manifest, made)}", 15000)
        return made
