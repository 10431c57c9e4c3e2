"""The explorer follows the window's runs: the generator a run ended with, the run's folder,
another model after a switch, and directions refreshed for a newer generator."""

import time
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.trainer import Trainer
from ganstudio.gui.widgets.direction_finder import DIRECTIONS_REFRESH_S
from tests.conftest import tiny_image_config, tiny_toy_config, trained_run


def image_config(**train):
    cfg = tiny_image_config(**train)
    cfg.model.latent_dim = 24  # unlike the toy model's 8: a stale latent cannot fit both
    return cfg


def same_weights(module, state):
    return all(torch.equal(value, state[name]) for name, value in module.state_dict().items())


def test_after_a_finished_run_the_explorer_has_its_last_ema_generator(qtbot, make_window):
    w = make_window(image_config(steps=30, ema_decay=0.9))
    assert w.tabs.currentIndex() == 0  # the Training tab stays in front the whole run
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        w.start()
    state = load_checkpoint(Path(w.run_dir) / "checkpoints" / "latest.pt")
    snapshot = w.explorer.state.snapshot
    assert snapshot.step == 30 == state["step"]
    assert same_weights(snapshot.generator, state["generator_ema"])
    assert not same_weights(snapshot.generator, state["generator"])
    assert "step 30 " in w.explorer.info.text()


def test_after_stop_the_explorer_has_the_stopped_generator_and_refresh_reloads_it(qtbot, make_window, small_checkpoint):
    w = make_window(image_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    qtbot.waitUntil(lambda: w.controls.progress.value() >= 20, timeout=30000)
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.stop()
    latest = Path(w.run_dir) / "checkpoints" / "latest.pt"
    stopped_at = load_checkpoint(latest)["step"]
    assert w.explorer.state.snapshot.step == stopped_at >= 20
    assert w.files.explore_checkpoint(small_checkpoint)
    assert w.explorer.state.snapshot.step == 5
    assert w.explorer.default_folder == str(Path(small_checkpoint).resolve().parent)  # in no run: beside it
    assert w.files.explore_checkpoint(latest)
    assert w.explorer.default_folder == str(Path(w.run_dir).resolve())
    qtbot.mouseClick(w.explorer.refresh_button, Qt.MouseButton.LeftButton)
    assert w.explorer.state.snapshot.step == stopped_at
    assert w.explorer.state.checkpoint_path == str(latest.resolve())


def test_an_opened_run_shows_its_generator_and_checkpoint_dialogs_open_in_its_folder(
    qtbot, make_window, tmp_path, monkeypatch
):
    trained_run(tiny_toy_config(steps=10), tmp_path / "cli-run")
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    assert w.explorer.state.snapshot.step == 10
    assert w.explorer.default_folder == str(tmp_path / "cli-run")  # Save image set: into this run, not the last one
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (asked.append(args[2]), ("", ""))[1])
    w.tabs.setCurrentWidget(w.explorer)
    qtbot.mouseClick(w.explorer.open_button, Qt.MouseButton.LeftButton)
    w.menu_actions.open_ckpt_action.trigger()
    assert asked == [str(tmp_path / "cli-run" / "checkpoints")] * 2


def test_switching_between_image_and_toy_runs_rebuilds_the_explorer(qtbot, make_window):
    w = make_window(image_config(steps=10))
    w.tabs.setCurrentWidget(w.explorer)
    e = w.explorer
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        w.start()
    qtbot.waitUntil(lambda: e.state.directions is not None, timeout=30000)
    e.sliders.seed_spin.setValue(1)
    e.set_endpoint("a")
    e.sliders.seed_spin.setValue(2)
    e.set_endpoint("b")
    e.interpolation.slider.setValue(50)
    e.add_raw_slider(20).setValue(1.0)
    e.draw()
    assert e.current_image.shape == (28, 28)

    w.form.set_config(tiny_toy_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        w.start()
    assert e.state.snapshot.is_toy and e.state.snapshot.latent_dim == 8
    e.draw()
    xs, _ys = e.canvas.point_item.getData()
    assert len(xs) == 1 and e.current_z.shape == (8,) and e.current_image is None
    assert e.sliders.raw_sliders == {} and e.state.point_a is None and e.interpolation.set_a_button.text() == "Set A"
    qtbot.waitUntil(lambda: e.state.directions is not None and e.state.directions.vectors.shape[1] == 8, timeout=30000)

    w.form.set_config(image_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        w.start()
    e.draw()
    assert e.current_image.shape == (28, 28) and not e.canvas.cloud_item.isVisible()
    qtbot.waitUntil(lambda: e.state.directions is not None and e.state.directions.vectors.shape[1] == 24, timeout=30000)
    e.sliders.direction_sliders[0].setValue(2.0)
    e.draw()
    assert e.current_z.shape == (24,)


def test_a_newer_generator_gets_new_directions_but_not_too_often(qtbot, make_window):
    w = make_window()
    w.tabs.setCurrentWidget(w.explorer)
    e = w.explorer
    starts = []
    e.finder.searching.connect(
        lambda snapshot: starts.append((time.monotonic(), snapshot.step, e.sliders.direction_sliders[0].isEnabled()))
    )
    trainer = Trainer(image_config())
    with qtbot.waitSignal(e.finder.found, timeout=30000):
        e.set_live_state(trainer.state_dict())
    untrained = e.state.directions.vectors.copy()
    assert e.state.directions_step == 0
    for _ in range(5):
        trainer.step()
    e.set_live_state(trainer.state_dict())
    trainer.step()
    e.set_live_state(trainer.state_dict())
    assert e.state.snapshot.step == 6
    qtbot.waitUntil(lambda: e.state.directions_step == 6, timeout=int(DIRECTIONS_REFRESH_S[1] * 1000) + 30000)
    assert [step for _t, step, _enabled in starts] == [0, 6]  # step 5 was overtaken while it waited
    assert starts[1][0] - starts[0][0] >= DIRECTIONS_REFRESH_S[0] - 0.05
    assert starts[1][2], "the sliders stay usable while newer directions are found"
    assert pytest.approx(untrained) != e.state.directions.vectors
    assert "from step 6" in e.info.text()


def test_the_gui_thread_renders_on_one_thread_and_leaves_the_cores_to_training(qtbot, make_window):
    """A GUI thread that ran torch with a team of its own made the training thread's steps take 1.7x as
    long (README, *Measurements*): the explorer's snapshot and renders run on one thread."""
    before = torch.get_num_threads()
    w = make_window()
    w.form.set_config(image_config(steps=10))
    try:
        torch.set_num_threads(2)  # as a training thread that started last leaves the global count
        with qtbot.waitSignal(w.controller.finished, timeout=60000):
            w.start()
        qtbot.waitUntil(lambda: w.explorer.state.snapshot is not None, timeout=10000)
        w.explorer.draw()
        assert w.explorer.current_image is not None
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("how", ["watch", "open"])
def test_a_run_without_a_generator_empties_the_explorer_of_the_last_runs(qtbot, make_window, tmp_path, how):
    """The explorer showed the last run's generator, "where the run ended", under another run's name."""
    from ganstudio.core.runlog import RunDirectory

    trained_run(tiny_toy_config(steps=10), tmp_path / "old")
    fresh = RunDirectory.at(tmp_path / "fresh")
    fresh.write_config(image_config(steps=1000))
    w = make_window()
    assert w.files.open_run(tmp_path / "old")
    e = w.explorer
    w.tabs.setCurrentWidget(e)
    qtbot.waitUntil(lambda: e.state.directions is not None, timeout=30000)
    assert e.state.snapshot.step == 10 and e.find_button.isEnabled() and "%" in e.sliders.direction_labels[0].text()
    assert (w.files.watch_run if how == "watch" else w.files.open_run)(fresh.path)
    assert e.state.snapshot is None and e.state.checkpoint_path is None
    assert "No generator" in e.info.text() and "fresh" in e.info.text()
    assert not e.find_button.isEnabled() and not e.save_button.isEnabled() and not e.sliders.seed_spin.isEnabled()
    assert [label.text() for label in e.sliders.direction_labels] == [str(i) for i in range(16)]  # not "0 (52%)"
    if how == "watch":  # "Opened old ...; raise Steps and Continue carries it on" spoke of the run left
        assert "old" not in w.statusBar().currentMessage()
    e.draw()
    e.render_neighbours()
    assert e.current_image is None and e.current_z is None
    assert e.open_button.isEnabled()  # another checkpoint can still be chosen
    if how == "watch":
        w.watch.leave()


def test_watching_a_run_of_the_same_model_keeps_the_explorers_latents(qtbot, make_window, tmp_path):
    """Every watch emptied the explorer first, so the window carrying its own run on through torchrun lost the
    user's seed and ends to a copy of the very model it reloaded."""
    trained_run(tiny_toy_config(steps=10), tmp_path / "run")
    w = make_window()
    assert w.files.open_run(tmp_path / "run")
    e = w.explorer
    e.sliders.seed_spin.setValue(7)
    e.set_endpoint("a")
    assert w.files.watch_run(tmp_path / "run")
    assert e.state.snapshot is not None and e.state.seed == 7 and e.state.point_a is not None
    w.watch.leave()
