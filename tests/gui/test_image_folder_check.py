"""Choosing an image folder counts its readable images in the background and refuses a folder
without any, beside the field, before Start (which used to fail with a traceback)."""

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from ganstudio.gui.run_phase import RunPhase
from tests.conftest import tiny_image_config
from tests.gui.conftest import wait_finished


def choose(qtbot, window, folder):
    """Picks the folder as Browse or a drop does; the count is not in yet when this returns."""
    window.form.set_image_folder(str(folder))
    note = window.form.findChild(QLabel, "folderNote")
    assert note.isVisibleTo(window) and note.text() == "Counting readable images..."
    assert not window.controls.start_button.isEnabled()
    qtbot.waitUntil(
        lambda: not (note.isVisibleTo(window) and note.text() == "Counting readable images..."), timeout=30000
    )
    return note, window.form.findChild(QLabel, "error_data_path")


def shown(label):
    """The label's text without the zero-width spaces that let a path wrap."""
    return label.text().replace("\u200b", "")


def test_an_empty_folder_is_refused_beside_the_field(qtbot, make_window, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    w = make_window()
    note, error = choose(qtbot, w, empty)
    assert not note.isVisibleTo(w)
    assert error.isVisibleTo(w) and shown(error) == f"no readable image in {empty}"
    assert not w.controls.start_button.isEnabled()
    w.start()
    assert w.state is RunPhase.IDLE and w.errors.dialog is None


def test_a_file_given_as_the_folder_is_called_a_file_not_missing(qtbot, make_window, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a folder")
    w = make_window()
    _note, error = choose(qtbot, w, text)
    assert shown(error) == f"{text} is a file; choose the folder that holds the images"
    assert not w.controls.start_button.isEnabled()


def test_a_folder_of_non_images_is_refused(qtbot, make_window, tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not an image")
    (junk / "photo.png").write_bytes(b"not a PNG either")
    w = make_window()
    _, error = choose(qtbot, w, junk)
    assert error.isVisibleTo(w) and shown(error) == f"no readable image in {junk} (1 unreadable file skipped)"
    assert not w.controls.start_button.isEnabled()


def test_a_folder_with_a_few_pngs_is_accepted_and_trains(qtbot, make_window, tmp_path):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(pictures / f"{i}.png")
    w = make_window(tiny_image_config(steps=4))
    note, error = choose(qtbot, w, pictures)
    assert note.isVisibleTo(w) and note.text() == "3 readable images"
    assert not error.isVisibleTo(w) and w.controls.start_button.isEnabled()
    w.start()
    assert wait_finished(qtbot, w) == "done" and w.controls.progress.value() == 4


def test_choosing_the_folder_again_counts_it_again(qtbot, make_window, tmp_path):
    folder = tmp_path / "filled-later"
    folder.mkdir()
    w = make_window()
    choose(qtbot, w, folder)
    assert not w.controls.start_button.isEnabled()
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(folder / "0.png")
    note, error = choose(qtbot, w, folder)
    assert note.text() == "1 readable image" and not error.isVisibleTo(w)
    assert w.controls.start_button.isEnabled()


def test_a_folder_too_small_to_score_is_refused_until_scoring_is_off(qtbot, make_window, tmp_path):
    """Quality scores need 20 real images; the form says so when the folder is chosen, not a failed Start."""
    few = tmp_path / "few"
    few.mkdir()
    for i in range(3):
        Image.fromarray(np.full((28, 28), 40 * i, dtype=np.uint8)).save(few / f"{i}.png")
    config = tiny_image_config(steps=4)
    config.quality.every = 100
    w = make_window(config)
    note, error = choose(qtbot, w, few)
    assert error.isVisibleTo(w) and shown(error).startswith(
        "quality scores need at least 20 real images and the dataset has 3: add images, or set quality.every=0"
    )
    assert not w.controls.start_button.isEnabled()
    w.form.widget("quality.every").setValue(0)
    qtbot.waitUntil(w.controls.start_button.isEnabled, timeout=5000)
    assert not error.isVisibleTo(w) and note.text() == "3 readable images"


def test_a_count_stopped_by_its_bound_on_files_says_the_folder_may_hold_more(qtbot, make_window, tmp_path, monkeypatch):
    """ "60 readable images" for /usr, whose count stopped at 10,000 files: training then read thousands."""
    from ganstudio.core.data import images

    monkeypatch.setattr(images, "COUNT_MAX_FILES", 10)  # the form's bound on files looked at, lowered to reach it
    pictures = tmp_path / "pictures"
    (pictures / "notes").mkdir(parents=True)
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(pictures / "first.png")
    for i in range(images.COUNT_MAX_FILES):
        (pictures / "notes" / f"{i}.txt").touch()
    w = make_window()
    note, error = choose(qtbot, w, pictures)
    assert note.isVisibleTo(w) and note.text() == "1+ readable images"
    assert not error.isVisibleTo(w)


def test_enter_in_the_folder_field_counts_a_folder_put_back_again(qtbot, make_window, tmp_path):
    """A folder moved away and back stayed "not found", Start greyed, until its path was edited (trial X)."""
    pictures, away = tmp_path / "pictures", tmp_path / "away"
    pictures.mkdir()
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(pictures / "one.png")
    pictures.rename(away)
    w = make_window(tiny_image_config(steps=4))
    _note, error = choose(qtbot, w, pictures)
    assert shown(error) == f"image folder not found: {pictures}"
    away.rename(pictures)
    edit = w.form.widget("data.path")
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.form.folder_check.note.text() == "1 readable image", timeout=30000)
    assert not error.isVisibleTo(w) and w.controls.start_button.isEnabled()
