"""The "Save image set..." dialog: what to save, how big, and where.

For a class-conditional generator every set is drawn in the class shown (the manifest names it), and
two more kinds appear: the class morph A -> B with the latent fixed, and one row per class stepping
along a direction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QStandardItemModel
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
    QSpinBox,
    QWidget,
)

from ganstudio.core.export import MAX_IMAGES, PATH_MODES, ImageSetSpec, destination_problem
from ganstudio.core.wording import sentence

KINDS = {
    "random": "N random samples from a seed",
    "neighbours": "The current image and its neighbours",
    "interpolation": "Interpolation A -> B",
    "sweep": "Sweep along one direction",
}
CLASS_KINDS = {
    "class-morph": "Class morph A -> B (latent fixed)",
    "class-sweep": "Every class x a sweep along one direction",
}


class ImageSetDialog(QDialog):
    def __init__(
        self,
        folder: str,
        has_ab: bool,
        direction_count: int,
        parent: QWidget | None = None,
        class_names: tuple[str, ...] = (),
        label: int = 0,
        label_b: int = 0,
        seed: int = 0,
        spec_problem: Callable[[ImageSetDialog], str] | None = None,
    ):
        """spec_problem: why the set this dialog's choices describe would be refused ("" when it would not),
        so Save says so here with the choices kept, not after the dialog closed."""
        super().__init__(parent)
        self.class_names, self.label, self.label_b = class_names, label, label_b
        self.spec_problem = spec_problem
        self.setWindowTitle("Save image set")
        self.setObjectName("imageSetDialog")
        self.kind_combo = QComboBox(objectName="imageSetKindCombo")
        kinds = {**KINDS, **CLASS_KINDS} if class_names else KINDS
        for key, text in kinds.items():
            self.kind_combo.addItem(text, key)
            if (key == "interpolation" and not has_ab) or (key in ("sweep", "class-sweep") and direction_count == 0):
                model = self.kind_combo.model()
                assert isinstance(model, QStandardItemModel)  # a QComboBox's own model
                model.item(self.kind_combo.count() - 1).setEnabled(False)
        self.kind_combo.setToolTip("Interpolation needs A and B set; a sweep needs the principal directions")
        self.count_spin = QSpinBox(objectName="imageSetCountSpin")
        self.count_spin.setRange(1, MAX_IMAGES)
        self.count_spin.setValue(16)
        self.count_spin.setToolTip("Number of samples, neighbours or frames (for every class: steps per row)")
        self.seed_spin = QSpinBox(objectName="imageSetSeedSpin")
        self.seed_spin.setRange(0, 2_000_000_000)
        self.seed_spin.setValue(min(max(seed, 0), 2_000_000_000))  # starts at the explorer's seed, not at 0
        self.seed_spin.setToolTip("Seed of the random samples (the other kinds start from the image shown)")
        self.direction_spin = QSpinBox(objectName="imageSetDirectionSpin")
        self.direction_spin.setRange(0, max(0, direction_count - 1))
        self.direction_spin.setToolTip("Which principal direction to sweep along, from -3 to +3 sigma")
        self.scale_combo = QComboBox(objectName="imageSetScaleCombo")
        for factor in (1, 2, 4):
            self.scale_combo.addItem("native" if factor == 1 else f"x{factor} (nearest)", factor)
        self.folder_edit = QLineEdit(folder, objectName="imageSetFolderEdit")
        self.folder_edit.setToolTip("The set is written into a new folder inside this one")
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        self.name_edit = QLineEdit(f"imageset-{time.strftime('%Y%m%d-%H%M%S')}", objectName="imageSetNameEdit")
        self.name_edit.setToolTip("Name of the new folder; an existing one is never overwritten")
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.folder_edit)
        layout.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = self.form = QFormLayout(self)
        form.addRow("Kind", self.kind_combo)
        if class_names:
            self.class_note = QLabel(objectName="imageSetClassNote")
            self.class_note.setToolTip("The class of every image, as the explorer shows it; the manifest records it")
            form.addRow("Class", self.class_note)
        form.addRow("Count / frames", self.count_spin)
        form.addRow("Seed", self.seed_spin)
        form.addRow("Direction", self.direction_spin)
        form.addRow("Size", self.scale_combo)
        form.addRow("Into folder", row)
        form.addRow("Set name", self.name_edit)
        form.addRow(
            QLabel(
                "Writes one PNG per image, contact_sheet.png, latents.npy, manifest.json\n"
                "(and animation.gif for an interpolation, a sweep or a class morph)."
            )
        )
        self.error_label = QLabel(objectName="imageSetDialogError")
        self.error_label.setStyleSheet("color: #b00020")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        form.addRow(self.error_label)
        form.addRow(buttons)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        for edit in (self.folder_edit, self.name_edit):  # a refusal is about what was typed before
            edit.textChanged.connect(lambda: self._say(""))
        self._on_kind_changed()

    def _on_kind_changed(self) -> None:
        """Seed and Direction only where the kind uses them; the class line says what this kind draws."""
        kind = self.kind_combo.currentData()
        self.seed_spin.setEnabled(kind == "random")
        self.count_spin.setMinimum(2 if kind in PATH_MODES else 1)
        self.direction_spin.setEnabled(kind in ("sweep", "class-sweep"))
        if self.class_names:
            a, b = self.class_names[self.label], self.class_names[self.label_b]
            texts = {"class-morph": f"{a} -> {b}", "class-sweep": "every class, one row each"}
            self.class_note.setText(texts.get(kind, a))

    def accept(self) -> None:
        """A folder that is missing or a name already taken is said here, the choices kept: the dialog used
        to close on Save and the error came after, every field back at its default."""
        text = self.folder_edit.text().strip()
        name = self.name_edit.text().strip()
        if not text:  # Path("") is the current folder, wherever the app was started
            problem = "Choose a folder to save into."
        elif not name:
            problem = "Choose a name for the set's folder."
        elif name == ".." or Path(name).name != name:
            problem = "The set's name is one folder's name, without / or .."
        else:
            found = destination_problem(Path(text).expanduser() / name)
            if not found and self.spec_problem is not None:
                found = self.spec_problem(self)
            problem = f"{sentence(found)}." if found else ""
        self._say(problem)
        if not problem:
            super().accept()

    def _say(self, problem: str) -> None:
        """The dialog grows to a wrapped message's height (its layout would clip a second line)."""
        self.error_label.setText(problem)
        self.error_label.setVisible(bool(problem))
        self.form.activate()
        self.resize(
            self.width(), max(self.height(), self.heightForWidth(self.width()), self.minimumSizeHint().height())
        )

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save image set into", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def destination(self) -> Path:
        return Path(self.folder_edit.text().strip()).expanduser() / self.name_edit.text().strip()

    def fill(self, spec: ImageSetSpec) -> ImageSetSpec:
        """The user's choices on top of the explorer's current state."""
        spec.mode = self.kind_combo.currentData()
        spec.count = self.count_spin.value()
        spec.seed = self.seed_spin.value()
        spec.direction_index = self.direction_spin.value()
        spec.scale = self.scale_combo.currentData()
        if spec.mode != "class-morph":
            spec.label_b = None  # only a morph has a second class
        if spec.mode == "class-sweep":
            spec.label = None  # its rows are every class
        return spec
