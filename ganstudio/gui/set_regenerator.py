"""File > Regenerate image set...: an image set's manifest.json written out again, beside the set (or where the
user chooses, when that folder cannot be written), as `ganstudio sample --manifest` does, and checked against
what was saved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from ganstudio.core.atomic import cannot_write_in
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
        from ganstudio.core.export import (
            SET_CHUNK,
            ExportError,
            NotTheSetsCheckpoint,
            plan_regeneration,
            regeneration_check,
        )
        from ganstudio.core.fast_path import serial_torch_here

        w = self.window
        saved = Path(manifest).absolute().parent
        serial_torch_here()  # the GUI thread's torch work must not slow a training run (see serial_torch_here)
        progress: SaveProgress | None = None
        try:
            try:
                plan = plan_regeneration(manifest)  # before asking where: a set that cannot be made asks nothing
            except NotTheSetsCheckpoint as exc:  # moved or renamed since: the user may know where it is
                moved = self._checkpoint_now(str(exc), saved)
                if moved is None:
                    w.statusBar().showMessage(f"Image set not regenerated: {exc}", 8000)
                    return None
                plan = plan_regeneration(manifest, moved)  # checked against the manifest's SHA-256 as its own is
            into = self._writable_folder(saved.parent)
            if into is None:
                w.statusBar().showMessage("Image set not regenerated: no folder was chosen to write it into", 8000)
                return None
            progress = SaveProgress(w, shown_above=SET_CHUNK, title="Regenerate image set")
            made = plan.write(free_name(into, f"{saved.name}-regenerated"), progress=progress.update)
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
            if progress is not None:
                progress.close()
        check = regeneration_check(manifest, made)
        said = f"Regenerated the image set into {made}: {check}"
        if check.differing:  # the point of a regeneration: a set that did not come out the same is no footnote
            w.errors.show(
                "Image set regenerated, not the same",
                f"{said}. Its manifest or its saved images were edited since it was saved, or this machine's "
                "torch computes differently.",
                icon=QMessageBox.Icon.Warning,
            )
        w.statusBar().showMessage(said, 15000)
        return made

    def _checkpoint_now(self, reason: str, saved: Path) -> str | None:
        """The checkpoint the user says is the set's, now elsewhere; None when they choose none."""
        chosen, _ = QFileDialog.getOpenFileName(
            self.window,
            f"{reason}: choose it where it is now",
            str(saved.parent),
            "Checkpoints (*.pt);;All files (*)",
        )
        return chosen or None

    def _writable_folder(self, beside: Path) -> Path | None:
        """beside, where the set is written, or, when it cannot be written (a team's set on a read-only share),
        a folder the user chooses instead; None when they choose none."""
        reason = cannot_write_in(beside)  # it holds the set whose manifest was just read: it is there
        if reason is None:
            return beside
        chosen = QFileDialog.getExistingDirectory(
            self.window,
            f"{beside} cannot be written ({reason}): choose where the regenerated set goes",
            self.window.files.folder_to_browse(),
        )
        return Path(chosen) if chosen else None
