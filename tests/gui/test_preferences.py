"""Preferences refuses a runs folder that cannot take a run, with the dialog still open (the error used
to come at Start, with no word of where the folder was chosen)."""

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox

from ganstudio.gui.widgets.preferences import PreferencesDialog


def dialog(qtbot, runs_dir) -> PreferencesDialog:
    d = PreferencesDialog(str(runs_dir), "auto", [("auto", "Auto"), ("cpu", "CPU")])
    qtbot.addWidget(d)
    d.show()
    return d


def test_a_file_or_an_unwritable_folder_is_refused_beside_the_field(qtbot, tmp_path, read_only_folder):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    d = dialog(qtbot, tmp_path / "runs")
    for text, says in (
        (str(a_file), "is a file, not a folder"),
        (str(a_file / "runs"), "is a file, so"),
        (
            str(read_only_folder / "runs"),
            f"would be made in {read_only_folder}, where a test file could not be written",
        ),
        ("  ", "Choose the folder"),
    ):
        d.runs_edit.setText(text)
        d.accept()
        assert d.result() != QDialog.DialogCode.Accepted and d.isVisible(), text
        assert d.runs_error.isVisible() and says in d.runs_error.text(), text
    d.runs_edit.textEdited.emit("x")  # typing takes the old complaint away
    assert d.runs_error.text() == ""


def test_a_folder_still_to_be_made_is_accepted(qtbot, tmp_path):
    d = dialog(qtbot, tmp_path / "runs")
    d.runs_edit.setText(str(tmp_path / "new" / "runs"))
    d.accept()
    assert d.result() == QDialog.DialogCode.Accepted and d.runs_dir == str(tmp_path / "new" / "runs")
    assert not (tmp_path / "new").exists()


def test_a_runs_folder_that_cannot_be_made_says_where_it_is_chosen(qtbot, make_window, app_settings, tmp_path):
    a_file = tmp_path / "runs-is-a-file"
    a_file.write_text("")
    app_settings.runs_dir = str(a_file)
    w = make_window()
    w.start()
    qtbot.waitUntil(lambda: w.errors.dialog is not None, timeout=30000)
    assert "cannot create a run folder" in w.errors.dialog.text()
    assert "File > Preferences chooses where runs go" in w.errors.dialog.text()
    w.errors.dialog.close()


def test_a_runs_folder_inside_the_image_folder_a_run_trains_on_says_where_it_is_chosen(
    qtbot, make_window, app_settings, tmp_path
):
    """Its grids would be read as training images; the refusal named no setting to change (review 37)."""
    from tests.conftest import tiny_image_config, write_pictures

    pictures = write_pictures(tmp_path / "pictures")
    app_settings.runs_dir = str(pictures / "runs")
    config = tiny_image_config(steps=4)
    config.data.dataset, config.data.path = "image-folder", str(pictures)
    w = make_window(config)
    qtbot.waitUntil(lambda: w.controls.start_button.isEnabled(), timeout=30000)  # the folder counted
    w.start()
    qtbot.waitUntil(lambda: w.errors.dialog is not None, timeout=30000)
    assert w.errors.dialog.text() == (
        f"{pictures / 'runs'} is inside {pictures}, the image folder the run trains on: images written there would "
        "become its training data; choose a folder outside it (File > Preferences chooses where runs go)"
    )
    assert sorted(p.name for p in pictures.iterdir()) == ["0.png", "1.png", "2.png", "3.png"]
    w.errors.dialog.close()


def test_the_default_device_is_the_next_runs_device(make_window, monkeypatch):
    """Preferences' default device was used only at the very first start: New run and the form kept Auto."""

    def choose_cpu(self) -> int:
        self.device_combo.setCurrentIndex(self.device_combo.findData("cpu"))
        return int(QDialog.DialogCode.Accepted)

    w = make_window()
    device = w.form.binders["train.device"]
    device.set_value("auto")
    monkeypatch.setattr(PreferencesDialog, "exec", choose_cpu)
    w.menu_actions.show_preferences()
    assert w.settings.default_device == "cpu" and device.value() == "cpu"
    device.set_value("auto")  # chosen for one run
    w.files.new_run()
    assert device.value() == "cpu"


def test_a_refusal_fits_its_room_and_moves_no_button(qtbot, tmp_path, monkeypatch):
    """The two-line complaint was clipped at top and bottom, and the dialog grew, moving Cancel from
    under the pointer. A deeper path than the room kept grows the dialog: clipped, never."""
    monkeypatch.chdir(tmp_path)  # a short path first: its complaint takes the room kept for it
    d = dialog(qtbot, tmp_path / "runs")
    qtbot.waitExposed(d)
    buttons = d.findChild(QDialogButtonBox)
    before = (d.height(), buttons.mapTo(d, buttons.rect().topLeft()))
    label = d.runs_error
    for depth in (1, 8):
        a_file = Path(*["a folder with a long name"] * depth) / "notes.txt"
        a_file.parent.mkdir(parents=True, exist_ok=True)
        a_file.write_text("")
        d.runs_edit.setText(str(a_file / "runs"))
        d.accept()
        d.layout().activate()  # the layout's pass, now rather than at the next event
        assert "is a file, so" in label.text()
        assert label.heightForWidth(label.width()) <= label.height(), f"the reason is clipped at depth {depth}"
        if depth == 1:
            assert (d.height(), buttons.mapTo(d, buttons.rect().topLeft())) == before


def test_a_remembered_setup_with_an_older_versions_unused_smoothing_is_kept(app_settings):
    """Saved before label smoothing with a critic loss was refused, the whole setup fell back to the default."""
    from ganstudio.core.config import preset

    config = preset("gaussian-1d")
    config.loss.kind, config.loss.label_smoothing = "hinge", 0.1
    app_settings.q.setValue("train/last_config", config.to_json())
    restored = app_settings.last_config()
    assert restored is not None and restored.preset == "gaussian-1d"
    assert restored.loss.kind == "hinge" and restored.loss.label_smoothing == 0.0
