import json
import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QSlider, QSpinBox

from ganstudio.core.checkpoint import save_checkpoint
from ganstudio.core.export import ImageSetSpec
from ganstudio.core.imaging import load_png
from ganstudio.core.trainer import Trainer
from ganstudio.gui.run_phase import RunPhase
from tests.conftest import tiny_image_config, tiny_toy_config
from tests.gui.conftest import tab_stops


@pytest.fixture
def checkpoint(small_checkpoint):
    return small_checkpoint


@pytest.fixture
def explorer(qtbot, make_window, checkpoint):
    w = make_window()
    with qtbot.waitSignal(w.explorer.finder.found, timeout=30000):
        assert w.files.explore_checkpoint(checkpoint)
    qtbot.waitUntil(lambda: w.explorer.state.directions is not None, timeout=10000)
    e = w.explorer
    e.draw()
    return e


def pixels(e):
    e.draw()
    return e.current_image.copy()


def test_named_controls(explorer):
    for name in ("explorerView", "truncationSlider", "interpSlider"):
        assert explorer.findChild(object, name) is not None, name
    assert isinstance(explorer.findChild(QSpinBox, "seedSpin"), QSpinBox)
    for name in ("randomizeButton", "resetButton", "saveImageSetButton"):
        assert isinstance(explorer.findChild(QPushButton, name), QPushButton)
    for i in range(16):
        assert explorer.findChild(object, f"directionSlider_{i}") is not None
    assert isinstance(explorer.findChild(QSlider, "interpSlider"), QSlider)


def test_with_no_generator_no_slider_can_move(make_window):
    """The 16 direction sliders were enabled, and moved, while nothing was drawn."""
    w = make_window()
    sliders = w.explorer.sliders
    assert w.explorer.state.snapshot is None
    assert not any(slider.isEnabled() for slider in sliders.direction_sliders)
    assert not sliders.truncation_slider.isEnabled() and not w.explorer.save_button.isEnabled()


def test_direction_slider_changes_the_image_and_reset_restores_it(explorer):
    before = pixels(explorer)
    explorer.findChild(object, "directionSlider_0").setValue(2.5)
    moved = pixels(explorer)
    assert not np.array_equal(before, moved)
    explorer.findChild(QPushButton, "resetButton").click()
    assert np.array_equal(before, pixels(explorer))


def test_double_click_resets_one_slider(qtbot, explorer):
    slider = explorer.sliders.direction_sliders[1]
    slider.setValue(1.5)
    inner = slider._slider
    qtbot.mouseDClick(inner, Qt.MouseButton.LeftButton, pos=QPoint(5, inner.height() // 2))
    assert slider.value() == 0.0


def test_the_keyboard_moves_a_slider_and_the_image(qtbot, explorer):
    """superqt's float sliders took focus but ignored every key: without a mouse nothing could be explored."""
    slider = explorer.sliders.direction_sliders[0]
    before = pixels(explorer)
    slider._slider.setFocus()
    qtbot.keyClick(slider._slider, Qt.Key.Key_Right)
    assert slider.value() == pytest.approx(0.1)
    qtbot.keyClick(slider._slider, Qt.Key.Key_PageUp)
    assert slider.value() == pytest.approx(1.1)
    qtbot.keyClick(slider._slider, Qt.Key.Key_Left)
    assert slider.value() == pytest.approx(1.0)
    assert not np.array_equal(before, pixels(explorer))
    qtbot.keyClick(slider._slider, Qt.Key.Key_End)
    assert slider.value() == pytest.approx(3.0)
    qtbot.keyClick(slider._slider, Qt.Key.Key_PageUp)
    assert slider.value() == pytest.approx(3.0)  # not past its end
    qtbot.keyClick(slider._slider, Qt.Key.Key_Home)
    assert slider.value() == pytest.approx(-3.0)


def test_tab_goes_from_slider_to_slider_with_no_stop_that_shows_no_focus(qtbot, explorer):
    """superqt's labelled slider took Tab focus itself, drawing none and taking no key, before its slider did: half
    the Tab presses through the explorer landed nowhere to be seen."""
    from superqt import QLabeledDoubleSlider

    window = explorer.window()
    window.tabs.setCurrentWidget(explorer)
    qtbot.waitUntil(explorer.sliders.seed_spin.isVisible)
    stops = tab_stops(window, explorer.sliders.seed_spin)
    assert not [s for s in stops if isinstance(s, QLabeledDoubleSlider)]
    trunc, first = explorer.sliders.truncation_slider._slider, explorer.sliders.direction_sliders[0]._slider
    assert stops.index(first) == stops.index(trunc) + 1
    assert stops[: stops.index(trunc)] == [explorer.sliders.randomize_button, explorer.sliders.reset_button]


def test_same_seed_gives_identical_pixels(explorer):
    explorer.sliders.seed_spin.setValue(42)
    first = pixels(explorer)
    explorer.sliders.seed_spin.setValue(43)
    assert not np.array_equal(first, pixels(explorer))
    explorer.sliders.seed_spin.setValue(42)
    assert np.array_equal(first, pixels(explorer))


def test_truncation_zero_gives_the_mean_image_for_every_seed(explorer):
    explorer.sliders.truncation_slider.setValue(0.0)
    a = pixels(explorer)
    explorer.sliders.seed_spin.setValue(99)
    assert np.array_equal(a, pixels(explorer))


def test_raw_dimension_slider_sets_the_coordinate(explorer):
    slider = explorer.add_raw_slider(3)
    slider.setValue(2.75)
    explorer.draw()
    assert explorer.current_z[3] == pytest.approx(2.75)


def test_drag_renders_only_the_latest_value(qtbot, explorer):
    renders = []
    explorer.rendered.connect(renders.append)
    for value in np.linspace(-3, 3, 40):
        explorer.sliders.direction_sliders[0].setValue(float(value))
    qtbot.waitUntil(lambda: len(renders) >= 1, timeout=5000)
    with qtbot.assertNotEmitted(explorer.rendered, wait=50):
        pass
    assert len(renders) == 1
    explorer.sliders.direction_sliders[0].setValue(3.0)
    latest = pixels(explorer)
    assert np.array_equal(latest, explorer.current_image)


def test_interpolation_reaches_a_and_b(explorer):
    explorer.sliders.seed_spin.setValue(1)
    a = pixels(explorer)
    explorer.set_endpoint("a")
    explorer.sliders.seed_spin.setValue(2)
    b = pixels(explorer)
    explorer.set_endpoint("b")
    explorer.interpolation.slider.setValue(0)
    explorer.interpolation.slider.setValue(100)
    assert np.array_equal(pixels(explorer), b)
    explorer.interpolation.slider.setValue(0)
    assert np.array_equal(pixels(explorer), a)


def test_save_image_set_and_regenerate_matches(explorer, tmp_path, capsys):
    explorer.sliders.direction_sliders[2].setValue(1.0)
    current = pixels(explorer)
    spec = explorer.current_spec()
    spec.mode, spec.count = "neighbours", 4
    out = explorer.save_image_set(tmp_path / "set", spec)
    assert out is not None
    assert np.array_equal(load_png(out / "image_0000.png"), current)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["edit"]["direction_values"][2] == 1.0
    from ganstudio.cli import main

    assert main(["sample", "--manifest", str(out / "manifest.json"), "--out", str(tmp_path / "again")]) == 0
    for i in range(5):
        assert np.array_equal(load_png(out / f"image_{i:04d}.png"), load_png(tmp_path / "again" / f"image_{i:04d}.png"))


def test_a_set_from_a_file_overwritten_since_it_was_opened_carries_what_was_drawn(
    qtbot, make_window, small_checkpoint, tmp_path
):
    import shutil

    from ganstudio.cli import main

    mine = tmp_path / "model.pt"
    shutil.copy(small_checkpoint, mine)
    w = make_window()
    assert w.files.explore_checkpoint(mine)
    drawn = pixels(w.explorer)
    mine.write_bytes(b"another training saved over it")
    out = w.explorer.save_image_set(tmp_path / "set", ImageSetSpec(count=1, seed=w.explorer.state.seed))
    assert out is not None and json.loads((out / "manifest.json").read_text())["checkpoint"] == "generator.pt"
    assert main(["sample", "--manifest", str(out / "manifest.json"), "--out", str(tmp_path / "again")]) == 0
    assert np.array_equal(load_png(tmp_path / "again" / "image_0000.png"), load_png(out / "image_0000.png"))
    assert drawn.shape == load_png(out / "image_0000.png").shape


def test_a_long_set_shows_its_progress_and_cancel_leaves_nothing(qtbot, explorer, tmp_path):
    """A set of thousands of images froze the window until it was written, with no way to stop it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QProgressDialog

    seen = []

    def cancel():
        dialog = explorer.window().findChild(QProgressDialog, "imageSetProgress")
        seen.append(dialog.labelText())
        dialog.cancel()

    QTimer.singleShot(0, cancel)  # runs while the set is written: its progress processes events
    assert explorer.save_image_set(tmp_path / "long", ImageSetSpec(count=600)) is None
    assert seen == ["Writing the image set... 256 of 600 images"]
    assert not (tmp_path / "long").exists() and not list(tmp_path.glob(".long.partial-*"))
    assert explorer.info.text().startswith("Image set not saved: cancelled")
    out = explorer.save_image_set(tmp_path / "whole", ImageSetSpec(count=600))
    assert out is not None and len(list(out.glob("image_*.png"))) == 600
    qtbot.waitUntil(lambda: explorer.window().findChild(QProgressDialog, "imageSetProgress") is None, timeout=5000)


def test_cancel_as_the_last_chunk_is_written_still_cancels(qtbot, explorer, tmp_path):
    """At its maximum the dialog reset itself and forgot the Cancel: the set was kept and called saved."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QProgressDialog

    def cancel_at_the_end():
        dialog = explorer.window().findChild(QProgressDialog, "imageSetProgress")
        if dialog is not None and dialog.labelText().endswith("300 of 300 images"):
            dialog.cancel()
            timer.stop()

    timer = QTimer(interval=0, timeout=cancel_at_the_end)
    timer.start()
    assert explorer.save_image_set(tmp_path / "last", ImageSetSpec(count=300)) is None
    assert not timer.isActive() and not (tmp_path / "last").exists()


def test_saving_into_a_read_only_folder_shows_an_error(explorer, read_only_folder):
    before = sorted(os.listdir(read_only_folder))
    assert explorer.save_image_set(read_only_folder / "ganstudio-set", ImageSetSpec(count=2)) is None
    assert explorer.saver.error_dialog is not None and explorer.saver.error_dialog.isVisible()
    assert "cannot write" in explorer.saver.error_dialog.text()
    assert sorted(os.listdir(read_only_folder)) == before


def test_a_set_into_the_image_folder_the_run_trains_on_is_refused_in_the_dialog(
    qtbot, make_window, small_checkpoint, tmp_path
):
    """An image set saved among the run's own photos would have joined its training data."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tests.conftest import checkpoint_on_folder

    data = tmp_path / "photos"
    data.mkdir()
    checkpoint_on_folder(small_checkpoint, data, tmp_path / "run.pt")
    w = make_window()
    assert w.files.explore_checkpoint(tmp_path / "run.pt")
    seen = {}

    def choose():
        dialog = QApplication.activeModalWidget()
        dialog.folder_edit.setText(str(data))
        dialog.name_edit.setText("set")
        dialog.accept()
        seen["refused"] = (dialog.isVisible(), dialog.error_label.text())
        dialog.folder_edit.setText(str(tmp_path))
        dialog.accept()

    QTimer.singleShot(0, choose)
    w.explorer.save_button.click()
    visible, said = seen["refused"]
    assert visible and said.startswith(f"{data / 'set'} is inside {data}, the image folder the run trains on")
    assert list(data.iterdir()) == [] and (tmp_path / "set" / "manifest.json").is_file()


def test_explorer_follows_a_live_run(qtbot, make_window):
    w = make_window(tiny_image_config(steps=100000))
    with qtbot.waitSignal(w.controller.snapshot_ready, timeout=30000):
        w.start()
    qtbot.waitUntil(
        lambda: w.explorer.state.snapshot is not None and w.explorer.current_image is not None, timeout=30000
    )
    first_step = w.explorer.state.snapshot.step
    qtbot.waitUntil(lambda: w.controls.progress.value() > first_step + 5, timeout=30000)
    with qtbot.waitSignal(w.controller.snapshot_ready, timeout=10000):
        w.explorer.refresh_button.click()
    assert w.explorer.state.snapshot.step > first_step
    w.stop()


def test_toy_model_shows_where_z_lands(qtbot, make_window, tmp_path):
    t = Trainer(tiny_toy_config())
    t.step()
    save_checkpoint(t.state_dict(), tmp_path / "toy.pt")
    w = make_window()
    assert w.files.explore_checkpoint(tmp_path / "toy.pt")
    w.explorer.draw()
    xs, _ys = w.explorer.canvas.point_item.getData()
    assert len(xs) == 1 and np.isfinite(xs[0]) and w.explorer.current_image is None
    assert not w.explorer.save_button.isEnabled()
    assert "draws points, not images" in w.explorer.save_button.toolTip()  # greyed out, and why


def test_a_one_dimensional_toy_model_is_drawn_on_a_line_not_a_square_plane(qtbot):
    """The 2014 paper's 1-D Gaussian was a sliver across the middle of a plane held square in a tall view, with a
    y axis that meant nothing; a 2-D model after it is held square again."""
    from ganstudio.gui.widgets.explorer_canvas import ExplorerCanvas

    canvas = ExplorerCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(430, 630)  # the explorer's view beside its controls in a 1280x800 window
    canvas.show()
    canvas.set_toy(True)
    view = canvas.view.getViewBox()
    canvas.set_cloud(np.linspace(0, 4, 500, dtype=np.float32)[:, None])
    canvas.show_point(np.array([[2.0]], dtype=np.float32))
    qtbot.waitUntil(lambda: view.viewRange()[0][1] >= 4, timeout=5000)
    (left, right), (bottom, top) = view.viewRange()
    assert left <= 0 and right - left < 5 and top - bottom < (right - left) / 2
    assert not canvas.view.getPlotItem().getAxis("left").isVisible()
    canvas.set_cloud(np.stack([np.linspace(0, 4, 500), np.linspace(0, 4, 500)], axis=1).astype(np.float32))
    canvas.show_point(np.array([[2.0, 2.0]], dtype=np.float32))
    qtbot.waitUntil(lambda: view.viewRange()[1][1] >= 4, timeout=5000)
    (left, right), (bottom, top) = view.viewRange()
    assert (top - bottom) / (right - left) > 1  # square in data units: the tall view shows more of y
    assert canvas.view.getPlotItem().getAxis("left").isVisible()


def test_a_bad_checkpoint_is_a_clear_error(make_window, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nope")
    w = make_window()
    assert not w.files.explore_checkpoint(bad)
    assert w.errors.dialog is not None and "not a readable checkpoint" in w.errors.dialog.text()


def test_the_explorer_brought_to_the_front_of_a_paused_run_shows_its_generator_now(qtbot, make_window):
    w = make_window(tiny_image_config(steps=100000))
    with qtbot.waitSignal(w.controller.snapshot_ready, timeout=30000):
        w.start()
    first = w.controls.progress.value()
    qtbot.waitUntil(lambda: w.controls.progress.value() > first + 20, timeout=30000)
    w.toggle_pause()
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    assert w.explorer.state.snapshot.step < first + 20
    with qtbot.waitSignal(w.controller.snapshot_ready, timeout=10000):
        w.tabs.setCurrentWidget(w.explorer)
    assert w.explorer.state.snapshot.step > first + 20
    w.stop()


def _wheel(widget, down: bool = True) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        QPoint(0, -120 if down else 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_slider_scrolls_the_controls_and_leaves_the_slider(qtbot, explorer):
    """Scrolling down the explorer's controls moved whichever slider passed under the mouse."""
    window = explorer.window()
    window.resize(1024, 640)  # the smallest window: the controls need scrolling
    window.tabs.setCurrentWidget(explorer)
    raw = explorer.add_raw_slider(3)  # added after the panel was built
    bar = explorer.controls_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    qtbot.waitUntil(lambda: raw._slider in explorer.controls_scroll._wheel_fields, timeout=5000)
    sliders = [explorer.sliders.direction_sliders[2], explorer.sliders.truncation_slider, raw]
    before = [slider.value() for slider in sliders]
    for slider in sliders:
        _wheel(slider._slider)
    _wheel(explorer.interpolation.slider)
    assert [slider.value() for slider in sliders] == before
    assert explorer.interpolation.slider.value() == 0
    assert bar.value() > 0
    sliders[0]._slider.setFocus()  # a slider the user clicked takes the wheel
    _wheel(sliders[0]._slider, down=False)
    assert sliders[0].value() != before[0]
