"""The setup form's Conditional choice: it goes through the form unchanged, and it is greyed with the
reason when the dataset has no classes (toy sets without classes, a drawn set, a flat image folder)."""

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QComboBox, QLabel

import ganstudio.core.data.images  # noqa: F401 - the folder check's thread imports torch: load it before the clock starts
from ganstudio.core.config import RunConfig, apply_override, preset, validate
from ganstudio.gui.widgets.setup_form import SetupForm


@pytest.fixture
def form(qtbot):
    form = SetupForm()
    qtbot.addWidget(form)
    form.show()
    return form


def combo(form) -> QComboBox:
    return form.findChild(QComboBox, "model.conditional")


def note(form) -> QLabel:
    return form.findChild(QLabel, "conditionalNote")


def write_images(folder, names):
    for i, name in enumerate(names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8), 30 * i, dtype=np.uint8)).save(path)


@pytest.mark.parametrize("kind", ["projection", "concat", "acgan"])
def test_a_conditional_config_goes_through_the_form_unchanged(form, kind):
    config = preset("fashion-cdcgan")
    apply_override(config, f"model.conditional={kind}")
    assert validate(config) == []
    form.set_config(config)
    assert combo(form).currentData() == kind and combo(form).isEnabled()
    shown = "fashion-cdcgan" if kind == "projection" else "custom"  # not the name over values no longer its own
    assert form.preset_combo.currentData() == shown
    assert replace(form.config(), preset=config.preset) == config and not form.problems()


def test_choosing_conditional_in_the_combo_sets_the_field(form):
    form.set_config(preset("fashion-dcgan"))
    combo(form).setCurrentIndex(combo(form).findData("projection"))
    assert form.config().model.conditional == "projection" and not form.problems()
    assert form.preset_combo.currentData() == "custom"


@pytest.mark.parametrize("dataset", ["spiral", "gaussian-1d"])
def test_a_toy_set_without_classes_greys_the_choice_with_the_reason(form, dataset):
    form.set_config(preset("ring-8-conditional"))
    assert combo(form).isEnabled() and not note(form).isVisible()
    config = preset("ring-8")
    apply_override(config, f"data.dataset={dataset}")
    form.set_config(config)
    assert not combo(form).isEnabled()
    assert (
        combo(form).toolTip()
        == f"Unavailable: {dataset} has no classes; the labelled toy sets are ring-8, grid-25, two-moons"
    )
    assert note(form).isVisible() and note(form).text().startswith("Unavailable: ")


def test_a_drawn_set_greys_the_choice(form):
    config = preset("ring-8")
    apply_override(config, "data.dataset=drawn")
    apply_override(config, "data.path=/tmp/points.npy")
    form.set_config(config)
    assert not combo(form).isEnabled() and "drawn distribution has no classes" in combo(form).toolTip()


def test_a_flat_folder_greys_the_choice_and_class_subfolders_allow_it(qtbot, form, tmp_path):
    flat, sorted_ = tmp_path / "flat", tmp_path / "sorted"
    write_images(flat, ["a.png", "b.png"])
    write_images(sorted_, ["shoe/a.png", "shoe/b.png", "bag/c.png"])
    form.set_image_folder(str(flat))
    qtbot.waitUntil(lambda: not combo(form).isEnabled(), timeout=60000)
    assert (
        combo(form).toolTip()
        == f"Unavailable: {flat} is a flat folder: put each class's images in a subfolder named after it"
    )
    assert note(form).isVisible()
    form.set_image_folder(str(sorted_))
    qtbot.waitUntil(lambda: form.folder_check.problem(str(sorted_)) == "", timeout=60000)
    assert combo(form).isEnabled() and not note(form).isVisible()
    assert combo(form).toolTip() == form.binders["model.conditional"].field.spec.help


def test_a_conditional_config_on_a_flat_folder_stays_switchable_and_is_refused(qtbot, form, tmp_path):
    write_images(tmp_path, ["x.png", "y.png"])
    config = RunConfig()
    config.quality.every = 0  # two images are too few to score: that refusal is another test's
    for assignment in ("data.dataset=image-folder", f"data.path={tmp_path}", "model.conditional=projection"):
        apply_override(config, assignment)
    form.set_config(config)
    error = form.findChild(QLabel, "error_model_conditional")
    qtbot.waitUntil(lambda: "flat folder" in error.text(), timeout=60000)
    assert combo(form).isEnabled() and form.problems()  # on: it can still be turned off
    assert not note(form).isVisible()  # the reason is said once, by the field's error
    combo(form).setCurrentIndex(combo(form).findData("off"))
    assert not form.problems() and not combo(form).isEnabled() and not error.isVisible()
    assert note(form).isVisible()


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_a_folder_that_cannot_train_is_said_once_under_folder_not_again_under_conditional(qtbot, form, tmp_path, kind):
    """A missing folder's "not found" stood under Folder and twice under Conditional, and an empty one was called a
    "flat folder" there (trial X)."""
    folder = tmp_path / kind
    if kind == "empty":
        folder.mkdir()
    config = preset("fashion-cdcgan")
    for assignment in ("data.dataset=image-folder", f"data.path={folder}"):
        apply_override(config, assignment)
    form.set_config(config)
    error = form.findChild(QLabel, "error_data_path")
    qtbot.waitUntil(lambda: error.isVisible(), timeout=60000)
    assert not note(form).isVisible() and not form.findChild(QLabel, "error_model_conditional").isVisible()
    assert [field for field, _ in form.problems()] == ["data.path"]
