"""The image folder's count of readable images, taken on a pool thread as the user chooses or types a
folder: a folder of a million files must not freeze the window, and Start waits for the count. The
same look says whether the folder has classes (subfolders) for a conditional model."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel
from superqt.utils import create_worker

FOLDER_COUNT_LIMIT = 100  # readable images counted before a chosen folder is accepted
CHECKING_FOLDER = "checking the folder for images..."
FOLDER_CHECK_DELAY_MS = 300  # after the last keystroke in the folder field


def _count_folder(path: str) -> tuple[str, str, int, bool, str]:
    """Runs on a pool thread: (path, why it cannot train or "", readable images found, whether that is
    all of them, why a folder that can train has no classes or ""). The imports are here because images.py loads torch, which the window must not wait for."""
    from ganstudio.core.data import images
    from ganstudio.core.data.errors import DataError
    from ganstudio.core.dataset_classes import folder_unlabelled_reason

    try:
        count = images.count_readable_images(path, FOLDER_COUNT_LIMIT, images.COUNT_MAX_FILES)
        problem = count.problem()
        unlabelled = (
            "" if problem else folder_unlabelled_reason(path)
        )  # a folder that cannot train has no class question
    except DataError as exc:
        return path, str(exc), 0, False, ""
    except Exception as exc:  # noqa: BLE001 - whatever stops the count would stop training: say it, never hang
        return path, f"cannot read {path}: {exc}", 0, False, ""
    return path, problem, count.readable, count.complete, unlabelled


class FolderCheck(QObject):
    """Counts each folder once (until it is chosen again) and says the result in a grey note."""

    counted = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._results: dict[str, tuple[str, int]] = {}  # image folder -> (problem or "", images found)
        self._complete: set[str] = set()  # image folders whose count found every readable image
        self._unlabelled: dict[str, str] = {}  # image folder -> why it has no classes, or ""
        self._counting: set[str] = set()
        self._path = ""
        self._timer = QTimer(self, singleShot=True, interval=FOLDER_CHECK_DELAY_MS)
        self._timer.timeout.connect(self._start_count)
        self.note = QLabel()
        self.note.setObjectName("folderNote")
        self.note.setStyleSheet("color: #666;")
        self.note.setWordWrap(True)
        self.note.setToolTip(
            "How many readable images the chosen image folder holds (counted up to "
            f"{FOLDER_COUNT_LIMIT}); Start waits for the count. Enter in the folder field counts it again"
        )
        self.note.hide()

    def forget(self, path: str) -> None:
        """Chosen again: its files may have changed since the last count."""
        self._results.pop(path, None)
        self._unlabelled.pop(path, None)
        self._complete.discard(path)

    def problem(self, path: str) -> str:
        """Why the folder cannot train, CHECKING_FOLDER while it is being counted, or ""."""
        return self._results.get(path, (CHECKING_FOLDER, 0))[0]

    def exact_count(self, path: str) -> int | None:
        """How many readable images the folder holds; None until counted, or when the count stopped at its
        bound (the folder holds more)."""
        return self._results[path][1] if path in self._complete else None

    def unlabelled(self, path: str) -> str:
        """Why the folder has no classes; "" when it has them or has not been looked at yet."""
        return self._unlabelled.get(path, "")

    def update(self, path: str, wanted: bool) -> None:
        """Starts a count of `path` once typing pauses (wanted: the image-folder dataset is chosen) and
        shows how far it is."""
        self._path = path if wanted else ""
        if self._path and path not in self._results and path not in self._counting:
            self._timer.start()  # again on every keystroke: a half-typed path is never counted
        reason, found = self._results.get(path, (CHECKING_FOLDER, 0))
        if self._path and reason == CHECKING_FOLDER:
            self.note.setText("Counting readable images...")
        elif self._path and not reason:
            more = "" if path in self._complete else "+"  # the count stopped at its bound on images or on files
            self.note.setText("1 readable image" if found == 1 and not more else f"{found:,}{more} readable images")
        self.note.setVisible(bool(self._path) and (reason == CHECKING_FOLDER or not reason))

    def _start_count(self) -> None:
        path = self._path
        if not path or path in self._counting:
            return
        self._counting.add(path)
        create_worker(_count_folder, path, _start_thread=True, _connect={"returned": self._on_counted})

    def _on_counted(self, result: tuple[str, str, int, bool, str]) -> None:
        path, reason, found, complete, unlabelled = result
        self._counting.discard(path)
        self._results[path] = (reason, found)
        if complete:
            self._complete.add(path)
        self._unlabelled[path] = unlabelled
        self.counted.emit()
