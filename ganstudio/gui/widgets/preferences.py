"""File > Preferences: where runs go and which device new runs use."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)


class PreferencesDialog(QDialog):
    def __init__(self, runs_dir: str, device: str, devices: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferencesDialog")
        self.runs_edit = QLineEdit(runs_dir, objectName="runsDirEdit")
        self.runs_edit.setToolTip("New runs are written into a folder of their own under this one")
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
        form.addRow("Default device", self.device_combo)
        form.addRow(buttons)

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
