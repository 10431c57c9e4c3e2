import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QFileDialog, QProgressBar, QPushButton, QSlider
from superqt import QCollapsible

from ganstudio.core.runlog import RunDirectory
from ganstudio.gui.run_phase import RunPhase
from ganstudio.gui.widgets.run_controls import START_TIP
from tests.conftest import tiny_image_config, tiny_toy_config, trained_run
from tests.gui.conftest import wait_finished


def test_named_controls_exist(make_window):
    w = make_window()
    for name in ("presetCombo", "data.dataset", "lossPlot", "probPlot", "sampleView"):
        assert w.findChild(object, name) is not None, name
    for name in ("startButton", "pauseButton", "stepButton", "stopButton"):
        assert isinstance(w.findChild(QPushButton, name), QPushButton), name
    assert isinstance(w.findChild(QProgressBar, "progressBar"), QProgressBar)
    assert isinstance(w.findChild(QSlider, "historySlider"), QSlider)


def test_a_tiny_run_streams_stats_and_samples(qtbot, make_window):
    w = make_window(tiny_image_config(steps=40, sample_every=10))
    stats_batches = []
    w.controller.stats_ready.connect(stats_batches.append)
    with qtbot.waitSignal(w.controller.finished, timeout=60000) as done:
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert done.args == ["done"]
    w.plots.flush()
    steps = w.plots.series.column("step")
    assert list(steps) == list(range(1, 41))
    assert len(stats_batches) < 40  # batched, not a signal per step
    x, y = w.plots.curves["loss_d"].getData()
    assert len(x) > 0 and np.isfinite(y).all()
    pixels = w.samples.current_pixels()
    assert pixels is not None and pixels.dtype == np.uint8 and pixels.shape == (242, 242)
    assert pixels.flags["C_CONTIGUOUS"]
    assert len(w.samples.history) == 4  # steps 10, 20, 30, 40 were saved to samples/
    assert w.controls.progress.value() == 40 and w.controls.progress.maximum() == 40
    run = Path(w.run_dir)
    assert run.parent == Path(w.settings.runs_dir)
    assert (run / "checkpoints" / "latest.pt").is_file() and (run / "config.json").is_file()
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 40
    assert w.state is RunPhase.IDLE and w.controls.start_button.isEnabled()


def test_history_slider_scrubs_back(qtbot, make_window):
    w = make_window(tiny_image_config(steps=30, sample_every=10))
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        w.start()
    slider = w.samples.history_slider
    assert slider.maximum() == 3
    slider.setValue(0)
    assert w.samples.shown.step == 10 and "step 10" in w.samples.caption.text()
    slider.setValue(slider.maximum())
    assert w.samples.caption.text() == "step 30 (last picture)"


def test_pause_step_resume_stop(qtbot, make_window):
    w = make_window(tiny_image_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    with qtbot.waitSignal(w.controller.state_changed, timeout=10000, check_params_cb=lambda s: s == "paused"):
        qtbot.mouseClick(w.controls.pause_button, Qt.MouseButton.LeftButton)
    assert w.controls.pause_button.text() == "Resume" and w.controls.step_button.isEnabled()
    before = w.controls.progress.value()
    with qtbot.waitSignal(w.controller.stats_ready, timeout=10000) as stepped:
        qtbot.mouseClick(w.controls.step_button, Qt.MouseButton.LeftButton)
    assert stepped.args[0][-1].step == before + 1
    with qtbot.waitSignal(w.controller.state_changed, timeout=10000, check_params_cb=lambda s: s == "running"):
        qtbot.mouseClick(w.controls.pause_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(w.controller.stats_ready, timeout=10000) as more:
        pass
    assert more.args[0][-1].step > before + 1
    with qtbot.waitSignal(w.controller.finished, timeout=10000) as done:
        qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    assert done.args == ["stopped"]
    assert (Path(w.run_dir) / "checkpoints" / "latest.pt").is_file()
    assert w.controls.start_button.text() == "Continue"


def test_worker_error_shows_a_dialog_and_a_second_run_works(qtbot, make_window, tmp_path):
    emptied = tmp_path / "emptied-after-the-check"
    emptied.mkdir()
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(emptied / "0.png")
    cfg = tiny_image_config(steps=10)
    cfg.data.dataset, cfg.data.path = "image-folder", str(emptied)
    w = make_window(cfg)
    qtbot.waitUntil(w.controls.start_button.isEnabled, timeout=30000)  # the form counted one readable image
    (emptied / "0.png").unlink()  # gone before Start: only the worker can find out
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        w.start()
    assert done.args == ["error"]
    assert w.errors.dialog is not None and w.errors.dialog.isVisible()
    assert "no readable image" in w.errors.dialog.text()
    assert w.errors.dialog.detailedText() == ""  # a bad data folder is said in words; a traceback is for bugs
    w.errors.dialog.accept()
    assert w.state is RunPhase.IDLE
    w.form.set_config(tiny_image_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as again:
        w.start()
    assert again.args == ["done"] and w.controls.progress.value() == 10


def test_nan_pauses_the_run_and_says_so(qtbot, make_window):
    cfg = tiny_toy_config(steps=100000, log_every=1)
    cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.momentum = "sgd", 1e20, 1e20, 0.9
    w = make_window(cfg)
    with qtbot.waitSignal(w.controller.health_alarm, timeout=30000) as alarm:
        w.start()
    assert alarm.args[0].kind == "nan"
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    assert w.banner.isVisible() and "NaN" in w.banner.message.text()
    labels = [b.text() for b in w.banner.remedy_buttons]
    assert labels[0].startswith("Rewind") and len(labels) == 3
    records = (Path(w.run_dir) / "metrics.jsonl").read_text()
    assert '"event": "alarm", "kind": "nan"' in records


def test_a_stopped_run_that_saved_nothing_says_why_it_cannot_continue(qtbot, make_window):
    """Its NaN weights are not saved, so there is no checkpoint: Continue is not offered, and the window says why."""
    cfg = tiny_toy_config(steps=100000, log_every=1, checkpoint_every=100000)
    cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.momentum = "sgd", 1e20, 1e20, 0.9
    w = make_window(cfg)
    with qtbot.waitSignal(w.controller.health_alarm, timeout=30000):
        w.start()
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    said = []
    w.controller.alarm.connect(lambda step, message: said.append(message))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.stop()
    assert said == ["not saved: the weights are NaN or Inf; none was saved before"]  # not "the last is kept"
    assert not (Path(w.run_dir) / "checkpoints" / "latest.pt").exists() and w.files.continuable is None
    assert "It saved no checkpoint" in w.statusBar().currentMessage()


def test_closing_during_training_saves_and_stops_fast(qtbot, make_window):
    w = make_window(tiny_image_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    run = Path(w.run_dir)
    started = time.monotonic()
    w.close()
    assert time.monotonic() - started < 2.0
    assert not w.controller.running
    state_step = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])["step"]
    from ganstudio.core.checkpoint import load_checkpoint

    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == state_step


def test_invalid_form_values_are_refused(qtbot, make_window):
    w = make_window()
    w.form.widget("optim.lr_g").setText("0")
    error = w.form.findChild(object, "error_optim_lr_g")
    assert error.isVisibleTo(w.form) and "learning rate" in error.text()
    assert not w.controls.start_button.isEnabled()
    w.start()
    assert not w.controller.running and w.state is RunPhase.IDLE
    w.form.widget("optim.lr_g").setText("abc")
    assert not w.controls.start_button.isEnabled()
    assert "not 'abc'" in error.text() and "nan" not in error.text()  # it said "must be a finite number, not nan"
    w.form.widget("optim.lr_g").setText(" ")
    assert "the field is empty" in error.text()
    w.form.widget("optim.lr_g").setText("2e-4")
    assert not error.isVisibleTo(w.form) and w.controls.start_button.isEnabled()


def test_a_problem_in_a_shut_fold_is_said_by_its_title_and_by_start(qtbot, make_window):
    """The field's own error is hidden with its fold, and Start was greyed with no word of why."""
    w = make_window()
    fold = w.form.findChild(QCollapsible, "stabilisationOptions")
    assert not fold.isExpanded() and fold.text() == "Stabilisation"
    w.form.widget("loss.label_smoothing").setText("abc")
    assert not w.controls.start_button.isEnabled() and fold.text() == "Stabilisation (1 to fix)"
    tip = w.controls.start_button.toolTip()
    assert tip.startswith("Cannot start until this is fixed: Label smoothing (Stabilisation): ") and "'abc'" in tip
    w.form.widget("loss.label_smoothing").setText("0")
    assert w.controls.start_button.isEnabled() and fold.text() == "Stabilisation"
    assert w.controls.start_button.toolTip() == START_TIP


def test_open_run_restores_plots_and_continues(qtbot, make_window, tmp_path):
    cfg = tiny_image_config(steps=20, sample_every=10)
    trained_run(cfg, tmp_path / "cli-run")

    w = make_window()
    assert w.files.open_run(tmp_path / "cli-run")
    w.plots.flush()
    assert list(w.plots.series.column("step")) == list(range(1, 21))
    assert len(w.samples.history) == 2
    cfg.preset = None  # no longer the preset it began from: the box says (custom)
    assert w.form.config() == cfg and w.controls.start_button.text() == "Start"  # it ran to its end
    w.form.widget("train.steps").setValue(30)
    assert w.controls.start_button.text() == "Continue"
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        w.start()
    assert done.args == ["done"]
    assert w.run_dir == str(tmp_path / "cli-run")
    steps = [json.loads(line)["step"] for line in (tmp_path / "cli-run" / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 31))
    w.plots.flush()
    assert list(w.plots.series.column("step")) == list(range(1, 31))


def test_toy_run_shows_real_and_generated_points(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=20))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    frame = w.samples.shown
    assert frame.image is None and frame.real.shape[1] == 2 and frame.fake.shape[1] == 2
    xs, _ys = w.samples.fake_item.getData()
    assert len(xs) == len(frame.fake)


def test_settings_remember_config_and_geometry(qtbot, make_window, app_settings):
    from ganstudio.core.config import DEFAULT_PRESET, preset

    cfg = tiny_toy_config(steps=77)
    fallback = preset(DEFAULT_PRESET)  # what a window shows when nothing was restored
    assert (cfg.data.dataset, cfg.train.steps) != (fallback.data.dataset, fallback.train.steps)
    w = make_window(cfg)
    assert w.height() != 640
    w.resize(w.width(), 640)  # within the offscreen screen's 800 px, which a restore clamps to
    w.close()
    again = make_window(settings=app_settings, restored=True)
    restored = again.form.config()
    assert (restored.data.dataset, restored.train.steps) == ("ring-8", 77)
    assert again.height() == 640


def test_dropping_a_folder_selects_it(qtbot, make_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    w = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    w.dropEvent(event)
    cfg = w.form.config()
    assert cfg.data.dataset == "image-folder" and cfg.data.path == str(tmp_path)


def test_export_csv_and_png(qtbot, make_window, tmp_path, monkeypatch):
    w = make_window(tiny_image_config(steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    w.plots.export_csv(tmp_path / "m.csv")
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[0].startswith("step,loss_d,loss_g") and len(lines) == 11
    assert w.plots.export_png(tmp_path / "p.png")
    from ganstudio.core.imaging import load_png

    picture = load_png(tmp_path / "p.png")
    plots = w.plots.loss_plot.geometry().united(w.plots.prob_plot.geometry())
    assert picture.shape[:2] == (plots.height(), plots.width())  # the plots, not the checkboxes above them
    assert not w.plots.export_png(tmp_path / "missing" / "p.png")
    missing = str(tmp_path / "missing" / "m.csv")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (missing, ""))
    w.plots._ask_csv()  # what Export CSV does once its dialog has a name
    assert w.errors.dialog.windowTitle() == "Not exported" and missing in w.errors.dialog.text()


def test_form_round_trips_every_field(make_window):
    from ganstudio.core.config import preset

    w = make_window()
    for name in ("fashion-wgan-gp", "fashion-hinge-sn", "paper-mlp-fashion"):
        cfg = preset(name)
        w.form.set_config(cfg)
        assert w.form.config() == cfg, name
    cfg = tiny_toy_config(
        steps=33, metrics_every=7, ema_decay=0.99, instance_noise=0.3, noise_anneal_steps=9, unrolled_steps=2
    )
    cfg.model.pack, cfg.model.minibatch_std, cfg.model.d_activation = 4, True, "relu"
    cfg.model.latent_components, cfg.optim.lr_decay = 12, 0.25
    cfg.loss.r1_gamma, cfg.loss.label_smoothing, cfg.loss.kind = 5.0, 0.1, "least-squares"
    cfg.quality.every, cfg.quality.samples, cfg.quality.keep_best = 123, 456, False
    cfg.quality.inception_weights = "/somewhere/inception.pth"
    cfg.perf.channels_last, cfg.perf.autocast, cfg.perf.optimizer_impl = "on", "bf16", "for-loop"
    cfg.perf.compile, cfg.perf.cudnn_benchmark, cfg.perf.threads = True, False, 3
    cfg.preset = None
    w.form.set_config(cfg)
    assert w.form.config() == cfg


def test_a_change_mid_run_is_applied_marked_and_recorded(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    assert w.live.isEnabled()
    w.live.widget("lr_g").setText("5e-05")
    w.live.widget("k").setValue(2)
    with qtbot.waitSignal(w.controller.changed, timeout=10000) as changed:
        w.live.apply_button.click()
    step, changes = changed.args
    assert changes == {"lr_g": 5e-05, "k": 2}
    assert len(w.plots.marks) == 2
    records = [json.loads(line) for line in (Path(w.run_dir) / "metrics.jsonl").read_text().splitlines()]
    events = [r for r in records if r.get("event") == "change"]
    assert events == [{"step": step, "event": "change", "lr_g": 5e-05, "k": 2}]
    w.live.widget("lr_d").setText("abc")
    w.live.apply_button.click()
    assert w.live.error.text() == "lr D must be a finite number, not 'abc'"  # as the field is labelled
    w.stop()


def test_after_stop_the_form_shows_the_rates_the_run_continues_with(qtbot, make_window):
    """A learning rate changed mid-run went back to the form's old value after Stop, while Continue trained with
    the changed one; and the preset box kept the preset's name over values that were no longer its own."""
    cfg = tiny_toy_config(steps=100000)
    cfg.preset = "ring-8"
    w = make_window(cfg)
    w.form.set_config(cfg)
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    w.live.widget("lr_d").setText("0.0003")
    with qtbot.waitSignal(w.controller.changed, timeout=10000):
        w.live.apply_button.click()
    w.stop()
    assert wait_finished(qtbot, w) == "stopped"
    assert w.form.widget("optim.lr_d").text() == "0.0003" and w.live.widget("lr_d").text() == "0.0003"
    assert w.form.preset_combo.currentText() == "(custom)"
    assert w.controls.start_button.text() == "Continue" and "Carry the run on" in w.controls.start_button.toolTip()
    assert w.menu_actions.start_action.text() == "&Continue"  # the Run menu said Start


def test_a_config_remedy_goes_into_the_setup_form(make_window):
    from ganstudio.core.health import Remedy

    w = make_window(tiny_toy_config())
    w.show_alarm(300, "collapsed", (Remedy("PacGAN", config={"model.pack": 4}),))
    w.banner.remedy_buttons[0].click()
    assert w.form.config().model.pack == 4 and not w.banner.isVisible()


def test_rewind_after_a_nan_goes_back_to_the_last_good_snapshot(qtbot, make_window):
    from ganstudio.core.supervisor import REWIND_EVERY

    cfg = tiny_toy_config(steps=100000, log_every=1)
    cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.momentum = "sgd", 0.01, 0.01, 0.5
    w = make_window(cfg)
    w.start()
    qtbot.waitUntil(
        lambda: len(w.plots.series) and w.plots.series.column("step")[-1] > REWIND_EVERY + 20, timeout=60000
    )
    with qtbot.waitSignal(
        w.controller.health_alarm, timeout=30000, check_params_cb=lambda alarm: alarm.kind == "nan"
    ) as alarm:
        w.controller.change({"lr_g": 1e20, "lr_d": 1e20})
    nan_step = alarm.args[0].step
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=10000)
    with qtbot.waitSignal(w.controller.rewound, timeout=10000) as rewound:
        qtbot.mouseClick(w.banner.remedy_buttons[0], Qt.MouseButton.LeftButton)
    step, config = rewound.args
    assert REWIND_EVERY <= step < nan_step
    assert config["optim"]["lr_g"] == 0.01  # the change that broke the run is undone too
    assert w.live.widget("lr_g").text() == "0.01"
    with qtbot.waitSignal(
        w.controller.stats_ready, timeout=30000, check_params_cb=lambda stats: stats[-1].step > step + 5
    ) as more:
        w.toggle_pause()
    assert all(s.is_finite() for s in more.args[0])
    records = (Path(w.run_dir) / "metrics.jsonl").read_text()
    assert f'{{"step": {step}, "event": "rewind"}}' in records


def test_each_run_button_names_its_shortcut_in_its_tooltip(make_window):
    w = make_window()
    actions = w.menu_actions
    for button, action in [
        (w.controls.start_button, actions.start_action),
        (w.controls.pause_button, actions.pause_action),
        (w.controls.step_button, actions.step_action),
        (w.controls.stop_button, actions.stop_action),
    ]:
        assert action.shortcut().toString() in button.toolTip(), button.objectName()


def test_the_progress_bar_counts_toward_the_steps_the_form_says(make_window, tmp_path):
    w = make_window(tiny_image_config(steps=5000))
    w.form.widget("train.steps").setValue(600)
    assert w.controls.progress.maximum() == 600 and w.controls.progress.value() == 0
    trained_run(tiny_image_config(steps=30), tmp_path / "run")
    assert w.files.open_run(tmp_path / "run")
    steps = w.form.widget("train.steps")
    steps.setValue(20)  # not past the finished run's end: Start would begin a new run
    assert (w.controls.progress.value(), w.controls.progress.maximum()) == (0, 20)
    steps.setValue(50)
    assert (w.controls.progress.value(), w.controls.progress.maximum()) == (30, 50)


def test_space_presses_a_focused_button_and_pauses_from_elsewhere(qtbot, make_window):
    """Space is Pause/Resume, but a focused checkbox or button keeps its own Space (it used to pause the
    run instead of pressing the button)."""
    w = make_window()
    w.activateWindow()
    paused = []
    w.menu_actions.pause_action.setEnabled(True)  # as while a run trains
    w.menu_actions.pause_action.triggered.connect(lambda: paused.append(True))
    box = w.findChild(QCheckBox, "autoRangeCheck")
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=5000)
    before = box.isChecked()
    QTest.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() is not before and paused == []
    w.tabs.setFocus()
    qtbot.waitUntil(w.tabs.hasFocus, timeout=5000)
    QTest.keyClick(w.tabs, Qt.Key.Key_Space)
    assert paused == [True]


def test_ctrl_return_starts_with_the_number_just_typed(qtbot, make_window):
    """A spin box keeps a typed number to itself until Enter or focus-out: Ctrl+Return from inside Steps
    started the run with the steps it had before (700 typed, 3,000 trained)."""
    w = make_window(tiny_image_config(steps=3000))
    w.activateWindow()
    steps = w.form.widget("train.steps")
    steps.setFocus()
    qtbot.waitUntil(steps.hasFocus, timeout=5000)
    steps.selectAll()
    QTest.keyClicks(steps, "700")
    QTest.keyClick(steps, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=20000)
    assert w.controls.progress.maximum() == 700
    qtbot.waitUntil(lambda: (Path(w.run_dir) / "config.json").is_file(), timeout=10000)
    assert json.loads((Path(w.run_dir) / "config.json").read_text())["train"]["steps"] == 700


def test_a_thread_count_chosen_mid_run_is_shown_in_the_status_bar(qtbot, make_window, monkeypatch, restore_threads):
    from ganstudio.core import fast_path
    from ganstudio.core import supervisor as supervisor_module
    from tests.core.test_thread_governor import Busy

    monkeypatch.setattr(supervisor_module, "ThreadGovernor", Busy)
    monkeypatch.setattr(fast_path, "usable_cores", lambda: 2)
    w = make_window(tiny_image_config(steps=40))
    with qtbot.waitSignal(w.controller.threads_chosen, timeout=60000):
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert w.device_label.text().startswith("Device: CPU (1 thread)")
    assert "CPU threads now 1 (another program is using the CPU)" in w.statusBar().currentMessage()


def test_the_status_bar_says_when_the_run_is_scoring_while_it_scores_and_not_after(qtbot, make_window):
    """The events said before a score crossed to the window only with the score's own, once it was done."""
    cfg = tiny_image_config(steps=5)
    cfg.quality.every, cfg.quality.samples = 5, 2000
    w = make_window(cfg)
    w.resize(1280, 800)  # the status bar elides what does not fit (the offscreen screen is 800 px wide)
    said, scored_yet = [], []
    w.statusBar().messageChanged.connect(said.append)
    w.controller.scoring.connect(lambda step: scored_yet.append(bool(RunDirectory(w.run_dir).read_events("quality"))))
    with qtbot.waitSignal(w.controller.finished, timeout=60000):
        qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert "Step 5: scoring the samples' quality (seconds on a CPU)…" in said
    assert scored_yet == [False]  # said while the score was being computed
    assert "scoring" not in w.statusBar().currentMessage()
