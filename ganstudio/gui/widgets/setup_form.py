"""The setup panel: every field of a RunConfig, built from the fields' metadata and validated as the
user types.

The form never holds an invalid config silently: each problem from core.config.validate is shown in
red beside its field and `config_changed` carries whether the config can run. Only what a field's
metadata cannot say is written here: the preset list, the folder row with its Browse button and image
count, the device list, which rows a dataset hides, and which choices it greys (with the reason).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from ganstudio.core.config import (
    CONFIG_FIELDS,
    DEFAULT_PRESET,
    PATH_DATASETS,
    PRESET_SUMMARIES,
    PRESETS,
    SECTIONS,
    TOY_DATASETS,
    RunConfig,
    preset,
    validate,
)
from ganstudio.core.dataset_classes import unlabelled_reason
from ganstudio.core.field_spec import ADVANCED, AUGMENTATION, PERFORMANCE, QUALITY, STABILISATION, ConfigField
from ganstudio.core.quality.errors import MIN_REAL_IMAGES, too_few_to_score
from ganstudio.core.quality.inception_weights import find_inception_weights
from ganstudio.gui.tooltips import wrap_tooltips
from ganstudio.gui.widgets.field_binders import DeviceBinder, FieldBinder, binder_for
from ganstudio.gui.widgets.folder_check import CHECKING_FOLDER, FolderCheck

FOLD_OPEN, FOLD_SHUT = "▼", "▶"  # superqt shows ▲ on a shut fold, which reads as "open upwards"
FOLD_TITLE_STYLE = (
    "QPushButton { text-align: left; border: none; outline: none; }"  # superqt's own
    " QPushButton:focus { text-decoration: underline; }"
)
FOLDS = {
    ADVANCED: "advancedOptions",
    STABILISATION: "stabilisationOptions",
    AUGMENTATION: "augmentationOptions",
    QUALITY: "qualityOptions",
    PERFORMANCE: "performanceOptions",
}  # in the order the panel shows them, below the top fields
CUSTOM = "custom"
COMBO_MIN_CHARS = 10


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet("color: #c0392b;")
    label.setWordWrap(True)
    # a reason naming a long folder must wrap inside the panel, not widen it
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.hide()
    return label


def _breakable(text: str) -> str:
    """Lets a path wrap after each separator (a zero-width space), as a word-wrapped label cannot
    break "/a/long/folder/name" otherwise."""
    return text.replace("/", "/\u200b").replace("\\", "\\\u200b")


class SetupForm(QWidget):
    config_changed = Signal(bool)  # whether the current config is valid
    typing = Signal()  # a number is being typed into a spin box, not yet committed (config() has it already)

    def __init__(self, parent: QWidget | None = None, fashion_full_found: bool = False):
        super().__init__(parent)
        self._loading = False
        self._inception_reason = ""
        self._classes_reason = ""  # why the dataset has no classes for a conditional model, or ""
        self._problems: list[tuple[str, str]] = []  # problems() as the last refresh found them
        self.conditional_note = QLabel(objectName="conditionalNote")
        self.conditional_note.setStyleSheet("color: #666;")
        self.conditional_note.setWordWrap(True)
        self.conditional_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.conditional_note.hide()
        self.binders: dict[str, FieldBinder] = {}
        self._errors: dict[str, QLabel] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._labels: list[QLabel] = []  # the fields' labels, each with its field as buddy
        self.folder_check = FolderCheck(self)
        self.folder_check.counted.connect(self._refresh)
        self.browse_button = QPushButton("Browse...")
        self.browse_button.setObjectName("browseButton")
        self.browse_button.setToolTip("Choose the folder")
        outer = QVBoxLayout(self)
        top = QFormLayout()
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(top)

        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        for name in PRESETS:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1, PRESET_SUMMARIES[name], Qt.ItemDataRole.ToolTipRole
            )
        self.preset_combo.addItem("(custom)", CUSTOM)
        self.preset_combo.setToolTip("Start from a named, tested configuration; editing any field makes it custom")
        top.addRow("Preset", self.preset_combo)
        self._add_fields(top, "")
        self._folds: dict[str, QCollapsible] = {}
        for title, name in FOLDS.items():
            fold, content = _fold(title, name), QWidget()
            self._folds[title] = fold
            self._add_fields(QFormLayout(content), title)
            fold.addWidget(content)
            outer.addWidget(fold)
        self.general_error = _error_label()
        outer.addWidget(self.general_error)
        outer.addStretch(1)

        dataset = self.binders["data.dataset"].widget
        assert isinstance(dataset, QComboBox)
        self.dataset_combo = dataset
        if not fashion_full_found:
            dataset.removeItem(dataset.findData("fashion-mnist-full"))
        for path, placeholder in (("data.path", "folder"), ("quality.inception_weights", "torch hub cache")):
            edit = self.widget(path)
            assert isinstance(edit, QLineEdit)
            edit.setPlaceholderText(placeholder)
        for combo in self.findChildren(QComboBox):
            # long item texts ("Fashion-MNIST (bundled, 10,000 images)") would otherwise set the panel's
            # minimum width; the closed box elides them and its popup still shows them whole
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            longest = max((len(combo.itemText(i)) for i in range(combo.count())), default=0)
            combo.setMinimumContentsLength(min(COMBO_MIN_CHARS, longest))
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.browse_button.clicked.connect(self.browse_folder)
        folder_edit = self.widget("data.path")
        assert isinstance(folder_edit, QLineEdit)
        folder_edit.returnPressed.connect(self._check_folder_again)
        dataset.currentIndexChanged.connect(self._on_dataset)
        for binder in self.binders.values():
            binder.on_change(self._on_edit)
            binder.on_typing(self._on_typing)
        wrap_tooltips(self, [*(binder.widget for binder in self.binders.values()), *self._labels])
        self.set_config(preset(DEFAULT_PRESET))

    def widget(self, path: str) -> QWidget:
        """The control of a field by its dotted name ("train.steps"), also its objectName."""
        return self.binders[path].widget

    # --- building --------------------------------------------------------------------------
    def _add_fields(self, form: QFormLayout, fold: str) -> None:
        row: QHBoxLayout | None = None
        previous = ""
        for field in CONFIG_FIELDS:
            if field.spec.fold != fold:
                continue
            binder = DeviceBinder(field) if field.path == "train.device" else binder_for(field)
            self.binders[field.path] = binder
            if field.spec.beside and row is not None:
                row.addWidget(binder.widget)
                self._errors[field.path] = self._errors[previous]
                continue
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(binder.widget)
            if field.path == "data.path":
                row.addWidget(self.browse_button)
            notes = {"data.path": self.folder_check.note, "model.conditional": self.conditional_note}
            self._add_row(form, field, row, notes.get(field.path))
            previous = field.path

    def _add_row(self, form: QFormLayout, field: ConfigField, row: QHBoxLayout, note: QLabel | None) -> None:
        error = _error_label()
        error.setObjectName(f"error_{field.path.replace('.', '_')}")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        if note is not None:
            layout.addWidget(note)
        layout.addWidget(error)
        label = QLabel(field.spec.label)
        label.setBuddy(self.binders[field.path].widget)  # hovering the label shows the field's tooltip (gui.tooltips)
        self._labels.append(label)
        form.addRow(label, box)
        self._rows[field.path] = (form, box)
        self._errors[field.path] = error

    # --- reading and writing the config ------------------------------------------------------
    def set_config(self, config: RunConfig) -> None:
        self._loading = True
        try:
            named = config.preset in PRESETS and _is_preset(config, str(config.preset))
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(config.preset if named else CUSTOM))
            for binder in self.binders.values():
                binder.set_value(binder.field.value_in(config))
        finally:
            self._loading = False
        self._refresh()

    def config(self) -> RunConfig:
        """The config the fields describe (possibly invalid: see problems())."""
        values: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
        for path, binder in self.binders.items():
            section, name = path.split(".")
            values[section][name] = binder.value()
        name = self.preset_combo.currentData()
        sections = {section: cls(**values[section]) for section, cls in SECTIONS.items()}
        return RunConfig(**sections, preset=None if name == CUSTOM else name)

    def commit_typing(self) -> None:
        """A spin box takes what was typed on Enter or when the focus leaves it, so a keystroke changes no setting
        (it is only checked): Ctrl+Return from inside one started the run with the number it had before."""
        for spin in self.findChildren(QAbstractSpinBox):
            spin.interpretText()

    def problems(self) -> list[tuple[str, str]]:
        config = self.config()
        typed = {path: problem for path, binder in self.binders.items() if (problem := binder.typing_problem())}
        problems = [(path, typed.get(path, reason)) for path, reason in validate(config)]
        if config.quality.inception and self._inception_reason:
            problems.append(("quality.inception", self._inception_reason))
        if config.model.is_conditional and self._classes_reason and config.data.dataset == "image-folder":
            problems.append(("model.conditional", self._classes_reason))  # validate() cannot look into folders
        if config.data.dataset == "image-folder" and config.data.path:
            reason = self.folder_check.problem(config.data.path)
            found = self.folder_check.exact_count(config.data.path)
            if not reason and config.quality.every and not config.data.limit and found is not None:
                reason = too_few_to_score(found) if found < MIN_REAL_IMAGES else ""
            if reason:
                problems.append(("data.path", reason))
        return problems

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        combo = self.widget("train.device")
        assert isinstance(combo, QComboBox)
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for value, label in devices:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)
        self._refresh()

    def set_image_folder(self, path: str) -> None:
        self.folder_check.forget(path)
        self.binders["data.path"].set_value(path)  # first, so choosing the dataset does not open the folder picker
        self.binders["data.dataset"].set_value("image-folder")
        self._refresh()

    def _check_folder_again(self) -> None:
        """Enter in the folder field counts it again: a folder put back (or filled) since its count said
        "not found" stayed refused until its path was edited."""
        self.folder_check.forget(self.binders["data.path"].value() or "")
        self._refresh()

    def set_drawn(self, path: str) -> None:
        self.binders["data.path"].set_value(path)
        self.binders["data.dataset"].set_value("drawn")
        self.binders["model.arch"].set_value("mlp")

    def browse_folder(self) -> None:
        start = self.binders["data.path"].value() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the dataset folder", start)
        if folder:
            self.folder_check.forget(folder)
            self.binders["data.path"].set_value(folder)
            self._refresh()

    # --- reactions ---------------------------------------------------------------------------
    def _on_preset(self) -> None:
        name = self.preset_combo.currentData()
        if self._loading or name == CUSTOM:
            return
        cfg = preset(name)
        cfg.train.device = self.binders["train.device"].value()  # a machine choice, not part of a preset
        self.set_config(cfg)

    def _on_dataset(self) -> None:
        if self._loading:
            return
        key = self.binders["data.dataset"].value()
        if key in TOY_DATASETS and self.binders["model.arch"].value() == "dcgan":
            self.binders["model.arch"].set_value("mlp")
        if key == "cifar10":
            self.binders["data.channels"].set_value(3)
            if self.binders["data.image_size"].value() == 28:
                self.binders["data.image_size"].set_value(32)
        if key == "image-folder" and not self.binders["data.path"].value():
            self.browse_folder()

    def _on_edit(self) -> None:
        if self._loading:
            return
        name = self.preset_combo.currentData()
        if name != CUSTOM and not _is_preset(self.config(), name):
            self._loading = True
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(CUSTOM))
            self._loading = False
        self._refresh()

    def _grey(self, path: str, reason: str, on: bool) -> None:
        """A field that cannot be used here is greyed, its tooltip saying why; one already on stays
        usable, so it can be turned off."""
        self.widget(path).setEnabled(not reason or on)
        self.widget(path).setToolTip(f"Unavailable: {reason}" if reason else self.binders[path].field.spec.help)

    def _check_inception(self) -> None:
        """The Inception FID box is usable only when its weights are on disk."""
        _, reason = find_inception_weights(self.binders["quality.inception_weights"].value())
        self._inception_reason = reason
        self._grey("quality.inception", reason, self.binders["quality.inception"].value())

    def _check_classes(self, dataset: str, path: str) -> None:
        """The Conditional choice needs a dataset with classes: an image folder's are its subfolders,
        known once the folder check has looked."""
        reason = self.folder_check.unlabelled(path) if dataset == "image-folder" else unlabelled_reason(dataset, path)
        self._classes_reason = reason
        on = self.binders["model.conditional"].value() != "off"
        self._grey("model.conditional", reason, on)
        self.conditional_note.setText(f"Unavailable: {_breakable(reason)}")
        self.conditional_note.setVisible(bool(reason) and not on)  # when on, the field's error says it

    def _refresh(self) -> None:
        self._check_inception()
        key = self.binders["data.dataset"].value()
        self._set_row_visible("data.path", key in PATH_DATASETS)
        self._set_row_visible("data.image_size", key not in TOY_DATASETS)
        optimizer = self.binders["optim.name"].value()  # only the chosen optimizer's own settings
        for field, used_by in (("optim.beta1", "adam"), ("optim.beta2", "adam"), ("optim.momentum", "sgd")):
            self._set_row_visible(field, optimizer == used_by)
        path = self.binders["data.path"].value() or ""
        self.folder_check.update(path, key == "image-folder" and bool(path))
        self._check_classes(key, path)
        self._show_problems()
        self.config_changed.emit(not self._problems)

    def _on_typing(self) -> None:
        """A number typed and not yet taken is checked as it stands, so Start and Continue are not offered over a
        value that would be refused; the change itself waits for Enter or the focus leaving."""
        self._show_problems()
        self.typing.emit()

    def _show_problems(self) -> None:
        problems = self._problems = self.problems()
        shown: dict[QLabel, list[str]] = {}
        for field, reason in problems:
            if reason == CHECKING_FOLDER:
                continue  # said in grey by the folder note: waiting is not an error
            label = self._errors.get(field, self.general_error)
            shown.setdefault(label, []).append(reason if label is not self.general_error else f"{field}: {reason}")
        for label in {*self._errors.values(), self.general_error}:
            reasons = shown.get(label)
            label.setVisible(bool(reasons))
            label.setText(_breakable("\n".join(reasons or [])))
        self._count_in_folds([field for field, reason in problems if reason != CHECKING_FOLDER])

    def _count_in_folds(self, fields: list[str]) -> None:
        """A shut fold hides its fields' errors, and Start was greyed with no word of why: its title counts them."""
        folds = [self.binders[field].field.spec.fold for field in fields if field in self.binders]
        for title, fold in self._folds.items():
            count = folds.count(title)
            fold.setText(f"{title} ({count} to fix)" if count else title)

    def why_not_valid(self) -> str:
        """The first problem, named by its field's label as the form shows it: for Start's tooltip. Read from
        the last refresh, which every change of the form and every number typed makes: the window asks at every
        phase change too."""
        problems = self._problems
        if not problems:
            return ""
        field, reason = problems[0]
        if field not in self.binders:  # a problem of the whole config
            return f"{field}: {reason}"
        spec = self.binders[field].field.spec
        return f"{spec.label}{f' ({spec.fold})' if spec.fold else ''}: {reason}"

    def _set_row_visible(self, field: str, visible: bool) -> None:
        form, box = self._rows[field]
        form.setRowVisible(box, visible)


def _fold(title: str, name: str) -> QCollapsible:
    """superqt shuts a fold by squeezing it to no height, and Tab still walked through every field in it:
    a digit typed into an unseen Adam beta2 greyed Start. Shut, its content is hidden, so Tab passes it by.
    Its title button drew no focus frame (superqt styles it `outline: none`): focused, it is underlined."""
    fold = QCollapsible(title, expandedIcon=FOLD_OPEN, collapsedIcon=FOLD_SHUT)
    fold.setObjectName(name)
    fold.content().setVisible(False)
    fold.toggled.connect(fold.content().setVisible)
    fold.toggleButton().setStyleSheet(FOLD_TITLE_STYLE)
    return fold


def _is_preset(config: RunConfig, name: str) -> bool:
    """Whether config is the preset as shipped: a run whose learning rates were changed while it trained
    kept the preset's name in the box, and New run then started "fashion-fast" with lr D 1e9. The device
    is a machine choice, not part of a preset."""
    reference = preset(name)
    reference.train.device = config.train.device
    return replace(config, preset=name) == reference
