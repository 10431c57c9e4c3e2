"""File > Regenerate image set...: an image set's manifest.json written out again, beside the set, as
`ganstudio sample --manifest` does, and checked picture for picture against what was saved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from ganstudio.core.user_errors import io_reason
from ganstudio.gui.widgets.save_progress import SaveCancelled, SaveProgress

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow

MAX_COPIES = 1000  # SET-regenerated-2, -3, ...: past this many, the folder is a mistake to say, not to number


def free_folder(parent: Path, name: str) -> Path | None:
    """parent/name, or parent/name-2, -3, ...: the first that does not exist yet."""
    for copy in range(1, MAX_COPIES + 1):
        folder = parent / (name if copy == 1 else f"{name}-{copy}")
        if not folder.exists():
            return folder
    return None


class SetRegenerator:
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
        """Writes the set into SET-regenerated beside it; the status bar says where, and whether every picture
        came out as saved. What stops it is said in a dialog, and nothing is left behind."""
        from ganstudio.core.checkpoint import CheckpointError
        from ganstudio.core.export import SET_CHUNK, ExportError, differing_images, regenerate

        w = self.window
        saved = Path(manifest).absolute().parent
        dest = free_folder(saved.parent, f"{saved.name}-regenerated")
        if dest is None:
            w.errors.show(
                "Image set not regenerated", f"{saved.parent} already holds {MAX_COPIES:,} regenerated copies"
            )
            return None
        progress = SaveProgress(w, shown_above=SET_CHUNK)
        try:
            made = regenerate(manifest, dest, progress=progress.update)
        except (ExportError, CheckpointError) as exc:
            w.errors.show("Image set not regenerated", str(exc))
            return None
        except OSError as exc:  # the manifest itself unreadable
            w.errors.show("Image set not regenerated", io_reason(exc))
            return None
        except SaveCancelled:
            w.statusBar().showMessage("Image set not regenerated: cancelled, nothing was left behind", 8000)
            return None
        finally:
            progress.close()
        compared, differing = differing_images(saved, made)
        if not compared:
            check = "the saved set's pictures are not there to compare with"
        elif differing:
            check = f"{differing:,} of its {compared:,} pictures differ from the saved set's"
        else:
            check = f"all {compared:,} pictures are byte for byte the saved set's"
        w.statusBar().showMessage(f"Regenerated the image set into {made}: {check}", 15000)
        return made
