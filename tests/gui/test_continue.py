"""Continue with the default device (Auto): after Stop, and for a run folder opened from disk."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.runlog import RunDirectory
from tests.conftest import tiny_toy_config, trained_run


def auto_config(**train):
    cfg = tiny_toy_config(**train)
    cfg.train.device = "auto"  # the form's default
    return cfg


def test_continue_after_stop_with_auto_device(qtbot, make_window):
    w = make_window(auto_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as stopped:
        qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    assert stopped.args == ["stopped"] and w.controls.start_button.text() == "Continue"
    stopped_at = load_checkpoint(Path(w.run_dir) / "checkpoints" / "latest.pt")["step"]
    w.form.widget("train.steps").setValue(stopped_at)  # not past its step: a Continue there would be refused
    assert w.controls.start_button.text() == "Start"
    assert f"raise Steps past {stopped_at:,} to carry the last run on" in w.controls.start_button.toolTip()
    w.form.widget("train.steps").setValue(stopped_at + 15)
    assert w.form.config().train.device == "auto" and w.controls.start_button.text() == "Continue"
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert load_checkpoint(Path(w.run_dir) / "checkpoints" / "latest.pt")["step"] == stopped_at + 15


def test_a_run_finished_in_the_window_is_carried_on_once_steps_goes_past_it(qtbot, make_window):
    """Raising Steps after a run finished used to start a new run from step 0 in a new folder."""
    w = make_window(auto_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        w.start()
    assert done.args == ["done"]
    first = w.run_dir
    assert "finished at step 10" in w.statusBar().currentMessage() and "raise Steps" in w.statusBar().currentMessage()
    assert w.controls.start_button.text() == "Start" and w.menu_actions.start_action.text() == "&Start"
    assert "raise Steps past 10 to carry the last run on" in w.controls.start_button.toolTip()
    w.form.widget("train.steps").setValue(15)
    assert w.controls.start_button.text() == "Continue" and w.menu_actions.start_action.text() == "&Continue"
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert w.run_dir == first and load_checkpoint(Path(first) / "checkpoints" / "latest.pt")["step"] == 15
    assert [s.step for s in RunDirectory(first).read_metrics()] == list(range(1, 16))


def test_steps_typed_past_a_finished_run_say_continue_before_enter(qtbot, make_window):
    """The button read Start while 1000 was typed into Steps, and the click that took the focus away continued
    the run: the label follows each keystroke."""
    from PySide6.QtTest import QTest

    w = make_window(auto_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    steps = w.form.widget("train.steps")
    steps.selectAll()
    QTest.keyClicks(steps, "1000")
    assert w.controls.start_button.text() == "Continue" and w.controls.start_button.isEnabled()
    steps.selectAll()
    QTest.keyClicks(steps, "8")
    assert w.controls.start_button.text() == "Start"


def test_a_number_typed_that_breaks_a_rule_greys_continue_before_enter(qtbot, make_window):
    """Processes 3 typed over a batch of 64 was said (and Continue greyed) only once the focus left the field;
    until then Continue looked ready and a click on it started nothing."""
    from PySide6.QtTest import QTest

    w = make_window(auto_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    w.form.widget("train.steps").setValue(20)
    assert w.controls.start_button.text() == "Continue" and w.controls.start_button.isEnabled()
    processes = w.form.widget("perf.processes")
    processes.selectAll()
    QTest.keyClicks(processes, "3")
    assert not w.controls.start_button.isEnabled()
    assert "must split evenly over the 3 processes" in w.form.why_not_valid()
    assert w.form.widget("perf.processes").value() == 1  # still not taken: the preset and the run are untouched
    processes.selectAll()
    QTest.keyClicks(processes, "1")
    assert w.controls.start_button.isEnabled() and w.form.why_not_valid() == ""


def test_start_after_a_finished_run_begins_a_new_one_with_its_settings(qtbot, make_window):
    w = make_window(auto_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    first = w.run_dir
    w.form.widget("train.steps").setValue(15)
    w.form.widget("train.steps").setValue(10)  # not past its end again: nothing to carry on
    assert w.controls.start_button.text() == "Start"
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"] and w.run_dir != first
    assert load_checkpoint(Path(first) / "checkpoints" / "latest.pt")["step"] == 10
    assert [s.step for s in RunDirectory(w.run_dir).read_metrics()] == list(range(1, 11))


def test_continue_an_opened_run_folder_with_auto_device(qtbot, make_window, tmp_path):
    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    assert w.form.config().train.device == "auto" and w.controls.start_button.text() == "Start"  # it finished
    assert "raise Steps and Continue carries it on" in w.statusBar().currentMessage()
    w.form.widget("train.steps").setValue(25)
    assert w.controls.start_button.text() == "Continue"
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert load_checkpoint(tmp_path / "cli-run" / "checkpoints" / "latest.pt")["step"] == 25


def test_a_setting_put_back_brings_continue_back_and_a_new_learning_rate_is_carried_on(qtbot, make_window, tmp_path):
    """Batch size changed and put back left Start, which trained the same settings from step 0 in a new folder;
    a learning rate changed (as `train --resume --set optim.lr_g=...` may) made a new run too."""
    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    w.form.widget("train.steps").setValue(20)
    assert w.controls.start_button.text() == "Continue"
    w.form.widget("train.batch_size").setValue(64)
    assert w.controls.start_button.text() == "Start"
    assert w.statusBar().currentMessage().startswith("Settings changed: Start begins a new run (cli-run keeps")
    assert "raise Steps past" not in w.controls.start_button.toolTip()  # more steps would not carry it on
    w.form.widget("train.batch_size").setValue(32)
    assert w.controls.start_button.text() == "Continue"
    assert w.statusBar().currentMessage() == "Settings fit cli-run again: Continue carries it on"
    w.form.widget("optim.lr_g").setText("0.0005")
    assert w.controls.start_button.text() == "Continue"
    assert w.live.widget("lr_g").text() == "0.0005"  # the greyed panel: what Continue starts with
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert w.run_dir == str(tmp_path / "cli-run")
    state = load_checkpoint(tmp_path / "cli-run" / "checkpoints" / "latest.pt")
    assert state["step"] == 20 and state["config"]["optim"]["lr_g"] == 0.0005
    assert RunDirectory(tmp_path / "cli-run").read_config().optim.lr_g == 0.0005


def test_an_opened_runs_learning_rate_of_many_digits_is_not_a_change_continue_carries(make_window, tmp_path):
    """The form showed 1.2345678e-4 as 0.000123457, read back as another rate: Continue would have set it."""
    config = auto_config(steps=10)
    config.optim.lr_g = 1.2345678e-4
    trained_run(config, tmp_path / "cli-run")
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    w.form.widget("train.steps").setValue(25)
    assert w.files.form_changes() == {"train.steps": 25} and w.controls.start_button.text() == "Continue"
    assert w.files.resume_overrides(w.form.config()) == []
    assert w.form.widget("loss.gp_weight").text() == "10"  # a short one stays short


@pytest.mark.parametrize("taken", ["before Continue", "between Continue's look and the start"])
def test_continue_of_a_folder_another_run_trains_is_refused_says_who_and_follows_it(
    qtbot, make_window, tmp_path, taken, monkeypatch
):
    """Two windows pressing Continue on one run: the one refused stood at the old step while the other trained."""
    import os

    from ganstudio.core.run_lock import LOCK_NAME
    from ganstudio.core.session import TrainingSession

    trained_run(auto_config(steps=4, checkpoint_every=4), tmp_path / "busy")
    w = make_window()
    assert w.files.open_run(tmp_path / "busy") and not w.watch.active  # nobody trains it: opened to continue
    w.form.widget("train.steps").setValue(8)
    session = TrainingSession.resume(RunDirectory.open(tmp_path / "busy"), total_steps=8)  # taken meanwhile
    metrics = (tmp_path / "busy" / "metrics.jsonl").read_bytes()
    if taken == "before Continue":
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
        assert w.errors.dialog.windowTitle() == "Cannot continue here"
    else:
        monkeypatch.setattr("ganstudio.gui.run_files.why_held", lambda folder: None)  # the lock was free then
        with qtbot.waitSignal(w.controller.finished, timeout=30000) as refused:
            qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
        assert refused.args == ["error"]
    assert f"being trained by another run in this process (pid {os.getpid()}" in w.errors.dialog.text()
    assert w.watch.active and w.watch.run.path == tmp_path / "busy" and not w.controller.running
    assert (tmp_path / "busy" / "metrics.jsonl").read_bytes() == metrics
    session.close()
    assert not (tmp_path / "busy" / LOCK_NAME).exists()


def test_opening_a_folder_another_process_trains_watches_it(qtbot, make_window, tmp_path):
    """It opened a frozen copy saying "Start continues it", and Continue was refused only when pressed."""
    import os

    session = trained_run(auto_config(steps=4, checkpoint_every=4), tmp_path / "busy", close=False)
    try:
        w = make_window()
        assert w.files.open_run(tmp_path / "busy")
        assert w.watch.active
        said = w.statusBar().currentMessage()
        assert said.startswith(f"{tmp_path / 'busy'} is being trained by pid {os.getpid()} on ") and said.endswith(
            ": watching it"
        )
    finally:
        session.close()
    again = make_window()
    assert again.files.open_run(tmp_path / "busy") and not again.watch.active  # its lock released: opened


def test_an_opened_run_whose_checkpoint_cannot_be_loaded_says_so_at_once(qtbot, make_window, tmp_path):
    """It used to open as "Start continues it", and the broken checkpoint was found only at Continue."""
    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    latest = tmp_path / "cli-run" / "checkpoints" / "latest.pt"
    latest.write_bytes(b"not a checkpoint at all")
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    assert w.errors.dialog is not None and w.errors.dialog.windowTitle() == "This run cannot be continued"
    assert str(latest) in w.errors.dialog.text() and "Start begins a new run" in w.errors.dialog.text()
    assert w.files.continuable is None and w.controls.start_button.text() == "Start"
    assert w.plots.series.column("step").size  # its curves are shown all the same


def test_opening_another_run_says_nothing_of_the_run_left(qtbot, make_window, tmp_path):
    """The status bar said "Settings changed: Start begins a new run (first keeps its model, ...)" on opening
    another folder: its settings filled the form while the run left was still the one Continue would carry on."""
    trained_run(auto_config(steps=10), tmp_path / "first")
    trained_run(auto_config(steps=10, batch_size=32), tmp_path / "second")
    (tmp_path / "second" / "checkpoints" / "latest.pt").write_bytes(b"not a checkpoint")  # said in a dialog
    w = make_window()
    assert w.files.open_run(tmp_path / "first") and w.files.continuable is not None
    assert w.files.open_run(tmp_path / "second")
    assert "first" not in w.statusBar().currentMessage(), w.statusBar().currentMessage()


def test_an_opened_run_whose_checkpoint_is_an_exported_generator_says_so_at_once(qtbot, make_window, tmp_path):
    """An image set's generator.pt copied over latest.pt opened as "raise Steps and Continue carries it on",
    and every press of Continue failed with "holds only a generator"."""
    from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint

    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    latest = tmp_path / "cli-run" / "checkpoints" / "latest.pt"
    state = load_checkpoint(latest)
    keep = ("format", "version", "config", "step", "class_names", "generator")
    save_checkpoint({key: state[key] for key in keep if key in state}, latest)  # as an image set saves one
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    assert w.errors.dialog is not None and w.errors.dialog.windowTitle() == "This run cannot be continued"
    text = w.errors.dialog.text()
    assert "holds only a generator" in text and "Start begins a new run" in text, text
    assert w.files.continuable is None
    w.form.widget("train.steps").setValue(20)
    assert w.controls.start_button.text() == "Start"
    assert w.explorer.state.snapshot is not None  # it is still explored


def test_an_opened_run_whose_config_json_no_longer_fits_its_checkpoint_says_so_at_once(make_window, tmp_path):
    """It opened as "raise Steps and Continue carries it on", and the edited field was refused only at Continue."""
    import json

    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    config_file = tmp_path / "cli-run" / "config.json"
    edited = json.loads(config_file.read_text())
    edited["model"]["width"] = 8
    edited["optim"]["lr_g"] = 0.0005  # a change a continued run may take
    config_file.write_text(json.dumps(edited))
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    assert w.errors.dialog is not None and w.errors.dialog.windowTitle() == "This run cannot be continued"
    text = w.errors.dialog.text()
    assert "model.width (config.json differs from the checkpoint): cannot change when a run continues" in text, text
    assert "lr_g" not in text and "Start begins a new run" in text
    assert w.files.continuable is None
    w.form.widget("train.steps").setValue(20)
    assert w.controls.start_button.text() == "Start"  # a new run with the folder's settings, not a Continue


def test_new_run_after_an_opened_one_forgets_it_in_the_title_and_says_what_start_does(make_window, tmp_path):
    """The title still named the run left, and a form that already held the setup wanted showed no change."""
    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run") and w.windowTitle() == "GAN Studio - cli-run"
    w.menu_actions.new_action.trigger()
    assert w.windowTitle() == "GAN Studio" and w.files.continuable is None and not len(w.plots.series)
    assert w.statusBar().currentMessage().startswith("New run: Start trains the setup on the left from step 0")
    assert w.controls.start_button.text() == "Start"


def test_an_opened_run_that_saved_no_checkpoint_starts_a_new_run(make_window, tmp_path):
    trained_run(auto_config(steps=10), tmp_path / "cli-run")
    (tmp_path / "cli-run" / "checkpoints" / "latest.pt").unlink()
    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    assert "it saved no checkpoint, so Start begins a new run" in w.statusBar().currentMessage()
    assert w.files.continuable is None and w.controls.start_button.text() == "Start"


def test_an_opened_run_whose_log_goes_past_its_checkpoint_says_so_and_continues_from_the_checkpoint(
    qtbot, make_window, tmp_path
):
    """A window killed between two checkpoints: the folder opened "at step 14; Start continues it", and
    Continue went on from step 10 without a word, the plots drawing steps 11 to 14 twice."""
    import json

    run = tmp_path / "killed"
    trained_run(auto_config(steps=10, log_every=1), run)
    metrics = run / "metrics.jsonl"
    last = [r for r in map(json.loads, metrics.read_text().splitlines()) if "event" not in r][-1]
    with open(metrics, "a") as fh:
        for step in range(11, 15):
            fh.write(json.dumps({**last, "step": step}) + "\n")
    w = make_window()
    assert w.files.open_run(run)
    said = w.statusBar().currentMessage()
    assert "last checkpoint is at step 10; the 4 steps logged after it were not saved: raise Steps and" in said, said
    assert w.controls.progress.value() == 10
    w.form.widget("train.steps").setValue(20)
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert list(w.plots.series.column("step")) == list(range(1, 21))  # once each, in order


def an_image_folder_run(folder: Path, steps: int) -> Path:
    """A finished run trained on a folder of four pictures (named with a trailing slash), which the form counts
    when the run is opened; returns the folder."""
    from tests.conftest import tiny_image_config, write_pictures

    pictures = write_pictures(folder / "pictures")
    config = tiny_image_config(steps=steps)
    config.data.dataset, config.data.path = "image-folder", f"{pictures}/"
    trained_run(config, folder / "run")
    return pictures


def test_an_opened_finished_run_keeps_its_step_on_the_bar_as_the_form_is_refreshed(qtbot, make_window, tmp_path):
    """The folder's count and the device probe's answer refreshed the form, and the bar of a finished run fell back
    to "0 / 10 steps" (trial X)."""
    pictures = an_image_folder_run(tmp_path, steps=10)
    w = make_window()
    assert w.files.open_run(tmp_path / "run")
    assert w.controls.progress.text() == "10 / 10 steps"
    qtbot.waitUntil(lambda: w.form.folder_check.problem(str(pictures)) == "", timeout=30000)
    w.probe.found.emit([("auto", "Auto (CPU)"), ("cpu", "CPU")])
    assert w.controls.progress.text() == "10 / 10 steps"
    w.form.widget("train.steps").setValue(30)  # Continue would carry it on: the bar counts toward 30
    assert w.controls.progress.text() == "10 / 30 steps"
    w.form.widget("train.batch_size").setValue(4)  # a new run: Start begins at 0
    assert w.controls.progress.text() == "0 / 30 steps"


def test_the_data_folder_typed_with_a_trailing_slash_still_continues_the_run(qtbot, make_window, tmp_path):
    """ "/pictures/" and "/pictures" were two folders: Continue turned to Start, a new run on the same images."""
    pictures = an_image_folder_run(tmp_path, steps=10)
    assert RunDirectory.open(tmp_path / "run").read_config().data.path == str(pictures)  # saved as a path
    w = make_window()
    assert w.files.open_run(tmp_path / "run")
    w.form.widget("train.steps").setValue(14)
    w.form.widget("data.path").setText(f"{pictures}/")
    w.form.widget("data.path").editingFinished.emit()
    assert w.form.config().data.path == f"{pictures}/"
    qtbot.waitUntil(lambda: w.form.folder_check.problem(f"{pictures}/") == "", timeout=30000)  # Start waits for it
    assert w.controls.start_button.text() == "Continue" and w.controls.start_button.isEnabled()
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["step"] == 14
