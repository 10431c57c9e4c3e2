"""What the window says about a run is about that run, now: rate, sample caption, alarm banner."""

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStatusBar

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.health import Alarm
from tests.conftest import tiny_image_config, tiny_toy_config, trained_run
from tests.gui.conftest import wait_finished


def run_until_rate_shows(qtbot, w):
    w.start()
    qtbot.waitUntil(lambda: "steps/s" in w.controls.rate_label.text(), timeout=30000)


def test_the_rate_says_paused_while_paused_even_when_stepping(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=100000, log_every=1))
    run_until_rate_shows(qtbot, w)
    with qtbot.waitSignal(w.controller.state_changed, timeout=10000, check_params_cb=lambda s: s == "paused"):
        qtbot.mouseClick(w.controls.pause_button, Qt.MouseButton.LeftButton)
    assert w.controls.rate_label.text() == "paused"
    assert w.samples.shown.step == w.controls.progress.value()  # the picture of the step it paused at
    for _ in range(3):
        with qtbot.waitSignal(w.controller.stats_ready, timeout=10000):
            qtbot.mouseClick(w.controls.step_button, Qt.MouseButton.LeftButton)
        assert w.controls.rate_label.text() == "paused"
    with qtbot.waitSignal(w.controller.state_changed, timeout=10000, check_params_cb=lambda s: s == "running"):
        qtbot.mouseClick(w.controls.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "steps/s" in w.controls.rate_label.text(), timeout=30000)


def test_opening_another_run_clears_the_previous_runs_rate_and_banner(qtbot, make_window, tmp_path):
    trained_run(tiny_toy_config(steps=10), tmp_path / "other")
    w = make_window(tiny_toy_config(steps=100000))
    run_until_rate_shows(qtbot, w)
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.stop()
    w.controller.health_alarm.emit(Alarm("mode-collapse", 1200, "Samples are collapsing.", ()))
    assert w.files.open_run(tmp_path / "other")
    assert w.controls.rate_label.text() == ""
    assert not w.banner.isVisible(), "an alarm about the previous run"


def test_the_sample_caption_says_the_step_its_picture_is_from(qtbot, make_window):
    w = make_window(tiny_image_config(steps=100000, sample_every=100000, log_every=1000))
    w.start()
    qtbot.waitUntil(
        lambda: w.samples.shown is not None and w.controls.progress.value() > w.samples.shown.step + 20, timeout=30000
    )
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.stop()
    stopped_at = load_checkpoint(Path(w.run_dir) / "checkpoints" / "latest.pt")["step"]
    assert w.samples.shown.step == stopped_at == w.controls.progress.value()
    assert w.samples.caption.text() == f"step {stopped_at:,} (last picture)"


def test_the_banner_says_the_step_its_alarm_was_raised_at(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=100000))
    w.controller.health_alarm.emit(Alarm("mode-collapse", 1200, "Samples are collapsing.", ()))
    assert w.banner.isVisible()
    assert w.banner.message.text() == "Step 1,200: Samples are collapsing."  # no "Try:" with nothing after it
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    with qtbot.waitSignal(w.controller.change_refused, timeout=10000):
        w.controller.change({"lr_g": -1.0})
    match = re.match(r"Step ([\d,]+): Change refused", w.statusBar().currentMessage())
    assert match and 0 < int(match.group(1).replace(",", "")) <= w.controls.progress.value() + 1000
    w.stop()


def test_a_refused_change_is_said_by_the_fields_which_go_back_to_what_the_run_uses(qtbot, make_window):
    """A refused EMA decay of 1.5 stayed in its field, its reason in a banner above the tabs, and every later
    Apply was refused for it."""
    w = make_window(tiny_toy_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    w.live.widget("ema_decay").setText("1.5")
    with qtbot.waitSignal(w.controller.change_refused, timeout=10000):
        w.live.apply_button.click()
    assert w.live.error.text().startswith("Change refused") and "ema_decay" in w.live.error.text()
    assert w.live.widget("ema_decay").text() == "0" and not w.banner.isVisible()
    w.live.widget("instance_noise").setText("0.1")
    with qtbot.waitSignal(w.controller.changed, timeout=10000) as changed:
        w.live.apply_button.click()
    assert changed.args[1] == {"instance_noise": 0.1} and w.live.error.text() == ""
    w.stop()


def test_a_long_status_message_is_drawn_shortened_in_the_middle_and_kept_whole(qtbot, make_window):
    w = make_window()
    w.resize(1280, 800)
    bar = w.statusBar()
    folder = "/home/someone/" + "a-long-folder-name/" * 12 + "2026-11-24_ring-8"
    message = f"Training on Fashion-MNIST; writing {folder}"
    w.device_label.setText("Device: CPU (2 threads); fused optimizers, bfloat16 autocast")  # moves it left
    bar.showMessage(message)
    drawn = QStatusBar.currentMessage(bar)  # what Qt draws
    qtbot.wait(50)  # the status bar's layout has placed the label where its new text puts it
    assert drawn.startswith("Training on Fashion-MNIST") and drawn.endswith("2026-11-24_ring-8") and "…" in drawn
    assert bar.fontMetrics().horizontalAdvance(drawn) <= w.device_label.x() - 8
    assert bar.currentMessage() == message and bar.toolTip() == message
    w.resize(1280 + bar.fontMetrics().horizontalAdvance(folder), 800)  # room for all of it: drawn whole again
    qtbot.waitUntil(lambda: QStatusBar.currentMessage(bar) == message, timeout=5000)
    assert bar.toolTip() == ""
    bar.showMessage("Run finished.")
    assert bar.currentMessage() == QStatusBar.currentMessage(bar) == "Run finished." and bar.toolTip() == ""
    bar.clearMessage()
    assert bar.currentMessage() == ""


def test_a_forged_change_in_a_watched_log_is_not_taken_as_what_the_run_uses(qtbot, make_window):
    """A change record of k = 1e200 then a refusal: the k field went back to 1e200, which no spin box
    holds (an OverflowError on the window's thread). Values no field accepts are left out."""
    w = make_window(tiny_toy_config(steps=100))
    w.live.load(w.form.config())
    k_before = w.live.widget("k").value()
    w.on_changed(40, {"k": 1e200, "lr_g": -5.0, "instance_noise": 0.05})
    w.refused_change(41, "Change refused: something")
    assert w.live.widget("k").value() == k_before
    assert w.live.widget("instance_noise").text() == "0.05"  # a value its field accepts is taken


def test_the_greyed_live_panel_shows_what_the_next_run_starts_with(qtbot, make_window):
    """After a run, choosing another preset left the last run's learning rates in the greyed panel."""
    from ganstudio.core.config import preset

    w = make_window(tiny_toy_config(steps=3))
    w.start()
    assert wait_finished(qtbot, w).value == "done"
    assert w.live.widget("lr_g").text() == "0.001"
    w.form.set_config(preset("fashion-cdcgan"))
    assert w.live.widget("lr_g").text() == "0.0002" and w.live.widget("lr_d").text() == "0.0004"
    assert not w.live.isEnabled()
    w.form.widget("optim.lr_g").setText("abc")  # being typed: said in red beside the field, never "nan" here
    assert w.live.widget("lr_g").text() == "abc"
    w.form.widget("optim.lr_g").clear()
    QTest.keyClicks(w.form.widget("optim.lr_g"), "1e999")  # it showed 1e+99, typed on the way: another number
    assert w.live.widget("lr_g").text() == "1e999"


def test_the_first_alarm_of_a_step_keeps_the_banner_and_the_status_bar_names_its_remedies(make_window):
    """Divergence and the oscillation it causes came in one step: oscillation took the banner, and the status
    bar's copy ended in a bare "Try:". The graver keeps it, whichever comes first; NaN always takes it."""
    from ganstudio.core.health import Remedy

    w = make_window(tiny_toy_config(steps=100000))
    halve = Remedy("Halve both learning rates", live={"lr_g": 1e-4, "lr_d": 1e-4})
    w.controller.health_alarm.emit(Alarm("divergence", 376, "Losses or gradient norms are exploding.", (halve,)))
    w.controller.health_alarm.emit(Alarm("oscillation", 376, "G and D are oscillating.", ()))
    assert w.banner.message.text() == "Step 376: Losses or gradient norms are exploding. Try:"
    said = w.statusBar().currentMessage()
    assert said == "Step 376: Losses or gradient norms are exploding. Try: Halve both learning rates", said
    w.controller.health_alarm.emit(Alarm("mode-collapse", 376, "Samples are collapsing.", ()))
    assert w.banner.message.text().startswith("Step 376: Losses or gradient norms are exploding.")
    w.controller.health_alarm.emit(Alarm("nan", 376, "Loss became NaN.", ()))
    assert w.banner.message.text() == "Step 376: Loss became NaN. Training paused."  # NaN always takes it
    w.show_alarm(400, "The run folder is gone.")  # not the monitor's: no alarm of its step is kept under it
    w.controller.health_alarm.emit(Alarm("oscillation", 400, "G and D are oscillating.", ()))
    assert w.banner.message.text() == "Step 400: G and D are oscillating."
    w.controller.health_alarm.emit(Alarm("divergence", 400, "Losses or gradient norms are exploding.", ()))
    assert w.banner.message.text() == "Step 400: Losses or gradient norms are exploding."  # the graver, come later
