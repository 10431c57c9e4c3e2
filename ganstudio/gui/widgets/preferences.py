"""File > Preferences: where runs go and which device new runs use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ganstudio.core.atomic import cannot_write_in

RUNS_EDIT_MIN_WIDTH = 380  # px: a path like /home/someone/.local/share/ganstudio/runs whole
ERROR_LINES = 3  # a refused folder's reason names the folder and why: two lines, three for a deep path


class PreferencesDialog(QDialog):
    def __init__(self, runs_dir: str, device: str, devices: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferencesDialog")
        self.runs_edit = QLineEdit(runs_dir, objectName="runsDirEdit")
        self.runs_edit.setToolTip("New runs are written into a folder of their own under this one")
        self.runs_edit.setMinimumWidth(RUNS_EDIT_MIN_WIDTH)
        self.runs_error = QLabel("", objectName="runsDirError")
        self.runs_error.setStyleSheet("color: #c0392b")
        self.runs_error.setWordWrap(True)
        # room for the longest complaint from the start: shown in a dialog already laid out, it was clipped
        # at top and bottom, and the dialog grew under the pointer, moving Cancel from where it was
        self.runs_error.setMinimumHeight(ERROR_LINES * self.runs_error.fontMetrics().lineSpacing())
        self.runs_error.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.runs_edit.textEdited.connect(lambda _text: self.runs_error.setText(""))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.runs_edit)
        layout.addWidget(browse)
        self.device_combo = QComboBox(objectName="defaultDeviceCombo")
        for value, label in devices:
            self.device_combo.addItem(label, value)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(device)))
        self.device_combo.setToolTip("The device the setup form starts with")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Runs folder", row)
        form.addRow("", self.runs_error)
        form.addRow("Default device", self.device_combo)
        form.addRow(buttons)

    def accept(self) -> None:
        """A runs folder that cannot take a run is said here, with the choice still open, not at Start."""
        problem = runs_folder_problem(self.runs_dir)
        if problem is not None:
            self.runs_error.setText(problem)
            needed = self.runs_error.heightForWidth(self.runs_error.width())
            if needed > self.runs_error.height():  # a deeper path than the room kept: the dialog grows to it
                self.runs_error.setMinimumHeight(needed)
            return
        super().accept()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Runs folder", self.runs_edit.text())
        if folder:
            self.runs_edit.setText(folder)

    @property
    def runs_dir(self) -> str:
        return self.runs_edit.text().strip()

    @property
    def device(self) -> str:
        return self.device_combo.currentData()


def runs_folder_problem(text: str) -> str | None:
    """Why new runs could not be made under text: a missing folder is fine (made at the first run) when the
    nearest folder that does exist can be written to."""
    if not text:
        return "Choose the folder new runs go into."
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file, not a folder."
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, so {folder} cannot be made."
    reason = cannot_write_in(existing)
    if reason is not None:
        if existing == folder:
            return f"A test file could not be written in {folder} ({reason})."
        return f"{folder} would be made in {existing}, where a test file could not be written ({reason})."
    return None
