"""The explorer on a class-conditional generator: the class selector, class morphing, directions found
with a class fixed, and image sets that record their classes and regenerate bit for bit."""

import json

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QComboBox

from ganstudio.core.checkpoint import save_checkpoint
from ganstudio.core.imaging import load_png
from ganstudio.core.trainer import Trainer
from ganstudio.gui.widgets.image_set_dialog import ImageSetDialog
from tests.conftest import tiny_toy_config


@pytest.fixture
def explorer(qtbot, make_window, small_conditional_checkpoint):
    w = make_window()
    with qtbot.waitSignal(w.explorer.finder.found, timeout=30000):
        assert w.files.explore_checkpoint(small_conditional_checkpoint)
    qtbot.waitUntil(lambda: w.explorer.state.directions is not None, timeout=10000)
    w.tabs.setCurrentWidget(w.explorer)
    return w.explorer


def pixels(e):
    e.draw()
    return e.current_image.copy()


def expected(e, label):
    """What the generator itself draws for the explorer's latent in this class."""
    image = e.state.snapshot.images(e.state.latent()[None].astype(np.float32), label)[0]
    return image[0]


def test_the_class_selector_lists_the_classes_and_draws_each(explorer):
    combo = explorer.findChild(QComboBox, "explorer_class")
    assert combo.isVisibleTo(explorer) and explorer.classes.isVisibleTo(explorer)
    assert [combo.itemText(i) for i in range(combo.count())] == list(explorer.state.snapshot.class_names)
    assert combo.itemText(1) == "Trouser"
    assert np.array_equal(pixels(explorer), expected(explorer, 0))
    combo.setCurrentIndex(1)
    assert explorer.state.label == 1 and explorer.classes.a_combo.currentIndex() == 1
    trouser = pixels(explorer)
    assert np.array_equal(trouser, expected(explorer, 1))
    assert not np.array_equal(trouser, expected(explorer, 0))
    explorer.sliders.seed_spin.setValue(5)
    explorer.sliders.seed_spin.setValue(0)
    assert np.array_equal(pixels(explorer), trouser)  # the class is kept while the seed changes


def test_the_class_morph_ends_at_the_pure_classes_and_plays(qtbot, explorer):
    explorer.classes.a_combo.setCurrentIndex(2)
    explorer.classes.b_combo.setCurrentIndex(7)
    assert explorer.classes.class_combo.currentIndex() == 2
    start = pixels(explorer)
    assert np.array_equal(start, expected(explorer, 2))
    explorer.classes.slider.setValue(100)
    assert np.array_equal(pixels(explorer), expected(explorer, 7))
    explorer.classes.slider.setValue(50)
    middle = pixels(explorer)
    assert not np.array_equal(middle, start) and not np.array_equal(middle, expected(explorer, 7))
    explorer.classes.slider.setValue(96)
    explorer.classes.play_button.click()
    assert explorer.classes.play.playing
    qtbot.waitUntil(lambda: explorer.classes.slider.value() == 100, timeout=3000)
    qtbot.waitUntil(lambda: explorer.classes.slider.value() < 90, timeout=3000)  # it turns back: a loop
    explorer.classes.class_combo.setCurrentIndex(3)  # a new class stops the morph and starts it again from there
    assert not explorer.classes.play.playing and explorer.classes.slider.value() == 0
    assert np.array_equal(pixels(explorer), expected(explorer, 3))


def test_choosing_the_drawn_class_as_b_swaps_a_and_b_so_the_morph_never_stands_still(explorer):
    explorer.classes.a_combo.setCurrentIndex(2)
    explorer.classes.b_combo.setCurrentIndex(5)
    explorer.classes.b_combo.setCurrentIndex(2)
    assert (explorer.state.label, explorer.state.label_b) == (5, 2)
    assert explorer.classes.a_combo.currentIndex() == 5 and explorer.classes.class_combo.currentIndex() == 5
    assert np.array_equal(pixels(explorer), expected(explorer, 5))
    explorer.classes.slider.setValue(100)
    assert np.array_equal(pixels(explorer), expected(explorer, 2))


def test_directions_are_found_with_the_class_fixed_and_kept_when_it_changes(qtbot, explorer):
    assert explorer.state.directions_label == 0 and "class T-shirt/top fixed" in explorer.info.text()
    directions = explorer.state.directions
    explorer.classes.class_combo.setCurrentIndex(4)
    assert explorer.state.directions is directions and explorer.sliders.direction_sliders[0].isEnabled()
    before = pixels(explorer)
    explorer.sliders.direction_sliders[0].setValue(2.5)
    moved = pixels(explorer)
    assert not np.array_equal(before, moved) and np.array_equal(moved, expected(explorer, 4))
    with qtbot.waitSignal(explorer.finder.found, timeout=30000):
        explorer.find_button.click()
    assert explorer.state.directions_label == 4


def test_the_dialog_offers_class_sets_only_for_a_conditional_generator(qtbot, explorer):
    state = explorer.state
    dialog = ImageSetDialog("/tmp", False, 16, None, state.class_names, 1, 8)
    qtbot.addWidget(dialog)
    kinds = [dialog.kind_combo.itemData(i) for i in range(dialog.kind_combo.count())]
    assert kinds[-2:] == ["class-morph", "class-sweep"]
    assert dialog.class_note.text() == "Trouser"  # the class every image of a plain set is drawn in
    plain = ImageSetDialog("/tmp", False, 16)
    qtbot.addWidget(plain)
    assert "class-morph" not in [plain.kind_combo.itemData(i) for i in range(plain.kind_combo.count())]
    dialog.count_spin.setValue(1)
    dialog.kind_combo.setCurrentIndex(kinds.index("class-morph"))
    assert dialog.count_spin.value() == 2  # a one-frame morph saved class A alone
    dialog.kind_combo.setCurrentIndex(kinds.index("random"))
    dialog.count_spin.setValue(1)
    assert dialog.count_spin.value() == 1
    spec = dialog.fill(state.spec())
    assert spec.label == state.label and spec.label_b is None


def test_the_dialog_keeps_its_choices_when_the_destination_is_refused(qtbot, explorer, tmp_path, monkeypatch):
    """Save closed the dialog and an error followed, every field back at its default."""
    state = explorer.state
    dialog = ImageSetDialog(str(tmp_path / "missing"), False, 16, None, state.class_names, 1, 8, seed=42)
    qtbot.addWidget(dialog)
    assert dialog.seed_spin.value() == 42  # the explorer's seed, not 0
    kinds = [dialog.kind_combo.itemData(i) for i in range(dialog.kind_combo.count())]
    dialog.kind_combo.setCurrentIndex(kinds.index("class-sweep"))
    assert dialog.direction_spin.isEnabled() and not dialog.seed_spin.isEnabled()
    assert dialog.class_note.text() == "every class, one row each"
    dialog.count_spin.setValue(7)
    dialog.show()
    dialog.accept()
    assert dialog.isVisible() and dialog.result() == 0
    assert f"There is no folder {tmp_path / 'missing'}" in dialog.error_label.text()
    (tmp_path / "taken").mkdir()
    dialog.folder_edit.setText(str(tmp_path))
    dialog.name_edit.setText("taken")
    dialog.accept()
    assert dialog.isVisible() and "already exists" in dialog.error_label.text()
    monkeypatch.chdir(tmp_path)
    dialog.folder_edit.setText(".")
    dialog.accept()  # a relative path is said as typed: capitalising "taken" would name another folder
    assert dialog.error_label.text() == "The set's folder taken already exists; choose another name."
    dialog.folder_edit.setText(str(tmp_path))
    assert not dialog.error_label.isVisible()  # a refusal is about what was typed before
    assert dialog.count_spin.value() == 7 and dialog.kind_combo.currentData() == "class-sweep"
    long_name = "a-rather-long-name-for-a-set-of-images-" * 2
    (tmp_path / long_name).mkdir()
    dialog.name_edit.setText(long_name)
    dialog.accept()  # its message wraps: the dialog grows to show it whole
    label = dialog.error_label
    assert label.isVisible() and label.height() >= label.heightForWidth(label.width())
    dialog.name_edit.setText("../escaped")
    dialog.accept()
    assert dialog.error_label.text() == "The set's name is one folder's name, without / or .."
    dialog.name_edit.setText("new")
    dialog.accept()
    assert not dialog.isVisible() and dialog.result() == 1 and dialog.destination() == tmp_path / "new"
    dialog.kind_combo.setCurrentIndex(kinds.index("class-morph"))
    assert dialog.class_note.text() == "Trouser -> Bag" and not dialog.direction_spin.isEnabled()


def save_and_regenerate(explorer, tmp_path, spec):
    out = explorer.save_image_set(tmp_path / spec.mode, spec)
    assert out is not None, explorer.saver.error_dialog and explorer.saver.error_dialog.text()
    from ganstudio.cli import main

    assert (
        main(["sample", "--manifest", str(out / "manifest.json"), "--out", str(tmp_path / f"{spec.mode}-again")]) == 0
    )
    for i in range(len(json.loads((out / "manifest.json").read_text())["images"])):
        name = f"image_{i:04d}.png"
        assert np.array_equal(load_png(out / name), load_png(tmp_path / f"{spec.mode}-again" / name))
    return out, json.loads((out / "manifest.json").read_text())


def test_a_class_sweep_and_a_class_morph_record_their_classes(explorer, tmp_path):
    explorer.classes.class_combo.setCurrentIndex(1)
    explorer.classes.b_combo.setCurrentIndex(8)
    names = explorer.state.class_names
    spec = explorer.current_spec()
    spec.mode, spec.count, spec.label_b = "class-sweep", 3, None
    spec.label = None
    _, manifest = save_and_regenerate(explorer, tmp_path, spec)
    rows = [image["class"] for image in manifest["image_classes"]]
    assert rows == [name for name in names for _ in range(3)]

    spec = explorer.current_spec()
    spec.mode, spec.count = "class-morph", 5
    out, manifest = save_and_regenerate(explorer, tmp_path, spec)
    assert manifest["image_classes"][0]["class"] == "Trouser" and manifest["image_classes"][-1]["towards"] == "Bag"
    assert np.array_equal(load_png(out / "image_0000.png"), pixels(explorer))


def test_an_unconditional_generator_hides_the_class_controls(qtbot, make_window, small_checkpoint):
    w = make_window()
    assert w.files.explore_checkpoint(small_checkpoint)
    assert not w.explorer.classes.selector_row.isVisibleTo(w.explorer)
    assert not w.explorer.classes.isVisibleTo(w.explorer)
    assert w.explorer.state.class_weights() is None and w.explorer.current_spec().label is None


def test_a_conditional_toy_model_draws_its_point_in_the_class_chosen(qtbot, make_window, tmp_path):
    cfg = tiny_toy_config("ring-8")
    cfg.model.conditional = "projection"
    t = Trainer(cfg)
    t.step()
    save_checkpoint(t.state_dict(), tmp_path / "toy.pt")
    w = make_window()
    assert w.files.explore_checkpoint(tmp_path / "toy.pt")
    e = w.explorer
    assert len(e.canvas.cloud) > 0 and np.isfinite(e.canvas.cloud).all()
    points = []
    for label in (0, 4):
        e.classes.class_combo.setCurrentIndex(label)
        e.draw()
        xs, ys = e.canvas.point_item.getData()
        points.append((xs[0], ys[0]))
    assert points[0] != points[1]


def test_a_set_the_save_would_refuse_is_said_in_the_dialog_with_the_choices_kept(qtbot, explorer, tmp_path):
    """A class sweep over 10,000 images (and truncation 0, which the explorer draws) closed the dialog and
    were refused after, the choices lost; truncation 0 is now saved as drawn."""
    explorer.sliders.truncation_slider.setValue(0.0)
    seen = {}

    def choose():
        dialog = QApplication.activeModalWidget()
        dialog.folder_edit.setText(str(tmp_path))
        dialog.name_edit.setText("sweep")
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("class-sweep"))
        dialog.count_spin.setValue(2000)  # 10 classes x 2,000
        dialog.accept()
        seen["refused"] = (dialog.isVisible(), dialog.error_label.text(), dialog.count_spin.value())
        dialog.count_spin.setValue(5)
        dialog.accept()

    QTimer.singleShot(0, choose)
    explorer.save_button.click()
    assert seen["refused"] == (True, "A class sweep makes classes x steps images: at most 10,000.", 2000)
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    assert manifest["spec"]["count"] == 5 and manifest["spec"]["edit"]["truncation"] == 0.0
