"""Watching and steering a run that another process writes.

The writer here is this test, speaking the folder protocol through a FolderBridge on a stand-in
supervisor, so each step of the conversation can be checked; test_watch_subprocess.py does the same
with a real `ganstudio train`.
"""

import os

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from ganstudio.core.control import FolderBridge, control_path, read_heartbeat
from ganstudio.core.events import (
    Alarm,
    Failed,
    Finished,
    Refused,
    Remedy,
    RunInfo,
    SampleFrame,
    StateChanged,
    StatsBatch,
)
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.stats import StepStats
from ganstudio.gui.run_phase import RunPhase
from tests.conftest import idle_process, tiny_image_config, trained_run
from tests.fake_supervisor import FakeSupervisor

TIMEOUT = 10000


def stats(first: int, last: int) -> list[StepStats]:
    return [StepStats(s, 1.3, 0.7, 0.5, 0.5, 1.0, 1.0, 0.01) for s in range(first, last + 1)]


@pytest.fixture
def writer(tmp_path):
    """A run folder, and the training side of the protocol that the test drives by hand."""
    run = RunDirectory.at(tmp_path / "run")
    run.write_config(tiny_image_config(steps=1000))
    supervisor = FakeSupervisor()
    bridge = FolderBridge(run)
    supervisor.add_command_source(bridge.poll)
    supervisor.add_listener(bridge.on_event)
    bridge.beat()
    yield run, supervisor, bridge
    bridge.close()


def test_a_watched_run_fills_the_window_and_its_controls_write_commands(qtbot, make_window, writer):
    run, supervisor, bridge = writer
    supervisor.emit(RunInfo(str(run.path), "CUDA: NVIDIA H200", "Fashion-MNIST", 0, 1000, False))
    supervisor.emit(StateChanged("running"))
    run.append_metrics(stats(1, 10))
    supervisor.emit(StatsBatch(stats(1, 10)))
    w = make_window()
    assert w.files.watch_run(run.path)
    qtbot.waitUntil(lambda: len(w.plots.series) == 10 and w.state is RunPhase.RUNNING, timeout=TIMEOUT)
    assert w.watch_label.isVisible() and f"pid {os.getpid()} on " in w.watch_label.text()
    assert "watching" in w.windowTitle() and not w.form.isEnabled()
    assert w.device_label.text().startswith("Device: CUDA: NVIDIA H200 (on ")

    run.append_metrics(stats(11, 15))
    supervisor.emit(StatsBatch(stats(11, 15)))
    qtbot.waitUntil(lambda: len(w.plots.series) == 15, timeout=TIMEOUT)
    assert w.controls.progress.value() == 15
    bridge.step = 12
    bridge.beat()  # a heartbeat can be a second older than the log's last lines
    qtbot.waitUntil(lambda: w.watch.watcher.last_beat.step == 12, timeout=TIMEOUT)
    assert w.controls.progress.value() == 15
    bridge.step = 15

    qtbot.mouseClick(w.controls.pause_button, qtbot_button())
    [pause] = supervisor.poll()
    assert pause.kind == "pause"
    supervisor.emit(StateChanged("paused"))
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=TIMEOUT)
    assert w.controls.pause_button.text() == "Resume" and w.controls.step_button.isEnabled()
    qtbot.mouseClick(w.controls.step_button, qtbot_button())
    assert [c.kind for c in supervisor.poll()] == ["step"]

    w.live.widget("lr_g").setText("0.0005")
    qtbot.mouseClick(w.live.apply_button, qtbot_button())
    [change] = supervisor.poll()
    assert (change.kind, change.fields) == ("change", {"lr_g": 0.0005})
    marks = len(w.plots.marks)
    run.append_event({"step": 15, "event": "change", "lr_g": 0.0005})  # what the supervisor logs when it applies it
    qtbot.waitUntil(lambda: len(w.plots.marks) > marks, timeout=TIMEOUT)
    assert "lr_g=0.0005" in w.statusBar().currentMessage()

    run.append_event({"step": 15, "event": "alarm", "kind": "divergence", "message": "Losses are exploding."})
    supervisor.emit(
        Alarm(
            "divergence",
            15,
            "Losses are exploding.",
            (
                Remedy("Halve both learning rates", live={"lr_g": 2.5e-4, "lr_d": 1e-4}),
                Remedy("Spectral norm in D (next run)", config={"model.spectral_norm": True}),
            ),
        )
    )
    qtbot.waitUntil(lambda: w.banner.isVisible() and len(w.banner.remedy_buttons) == 2, timeout=TIMEOUT)
    assert "exploding" in w.banner.message.text()
    qtbot.mouseClick(w.banner.remedy_buttons[0], qtbot_button())
    [remedy] = supervisor.poll()
    assert (remedy.kind, remedy.fields) == ("change", {"lr_g": 2.5e-4, "lr_d": 1e-4})

    w.save_checkpoint()
    w.files.refresh_explorer()
    assert [c.kind for c in supervisor.poll()] == ["save", "snapshot"]

    qtbot.mouseClick(w.controls.stop_button, qtbot_button())
    assert w.state is RunPhase.STOPPING
    assert [c.kind for c in supervisor.poll()] == ["stop"]
    supervisor.emit(Finished("stopped", 15))
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE, timeout=TIMEOUT)
    assert w.banner.message.text().startswith("Step 15: The run stopped (pid ")
    assert w.banner.calm  # a stop asked for is news, not a failure's red
    assert (
        "saved no checkpoint" in w.banner.message.text() and w.banner.remedy_buttons == []
    )  # nothing to continue from
    assert w.controls.start_button.text() == "Start"
    acks = [(r["kind"], r["step"]) for r in run.read_events("command")]
    assert acks == [
        ("pause", 15),
        ("step", 15),
        ("change", 15),
        ("change", 15),
        ("save", 15),
        ("snapshot", 15),
        ("stop", 15),
    ]


def watching_it_run(qtbot, make_window, writer):
    """A window watching the writer's run once it says it is running."""
    run, supervisor, _ = writer
    supervisor.emit(StateChanged("running"))
    w = make_window()
    w.files.watch_run(run.path)
    qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=TIMEOUT)
    return w


def test_a_config_json_replaced_as_a_removal_and_a_new_file_is_not_said_gone(qtbot, make_window, writer):
    """On a network share or a sync client a replace can show as a removal, then a new file: keyed on config.json,
    one look between the two said the folder gone (review Z). Missing at two looks running, it is gone."""
    run = writer[0]
    w = watching_it_run(qtbot, make_window, writer)
    watcher = w.watch.watcher
    text = run.config_path.read_text()
    run.config_path.unlink()
    watcher.tick()
    assert not w.banner.isVisible() and w.state is RunPhase.RUNNING  # nor "another process carried it on"
    run.config_path.write_text(text)
    watcher.tick()
    run.config_path.unlink()
    watcher.tick()
    assert not w.banner.isVisible()
    watcher.tick()
    assert "is gone" in w.banner.message.text() and w.state is RunPhase.IDLE


def test_a_watched_folder_moved_away_is_said_gone_and_followed_again_once_back(qtbot, make_window, writer):
    """Its heartbeat gone read as "Another process carried the run on", then its silence as "no process says
    it trains it. cannot read .../config.json" (trial O)."""
    run, supervisor, _ = writer
    w = watching_it_run(qtbot, make_window, writer)
    away = run.path.with_name("away")
    run.path.rename(away)
    qtbot.waitUntil(w.banner.isVisible, timeout=TIMEOUT)
    assert w.banner.message.text().endswith(
        f"The run folder {run.path} is gone (moved, removed, emptied, or its share unmounted): put it back to "
        "follow the run."
    )
    assert "carried the run on" not in w.statusBar().currentMessage()
    assert "(folder gone)" in w.watch_label.text() and w.state is RunPhase.IDLE and w.banner.remedy_buttons == []
    away.rename(run.path)
    qtbot.waitUntil(lambda: not w.banner.isVisible(), timeout=TIMEOUT)
    assert w.statusBar().currentMessage() == "The run folder is back: following the run again"
    supervisor.emit(StateChanged("paused"))  # its writer goes on beating
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=TIMEOUT)
    assert "(folder gone)" not in w.watch_label.text()
    supervisor.emit(Finished("stopped", 0))  # then it ends; moved away and back, its ending is said again
    qtbot.waitUntil(lambda: w.banner.isVisible() and "The run stopped" in w.banner.message.text(), timeout=TIMEOUT)
    run.path.rename(away)
    qtbot.waitUntil(lambda: "is gone" in w.banner.message.text(), timeout=TIMEOUT)
    away.rename(run.path)
    qtbot.waitUntil(lambda: "The run stopped" in w.banner.message.text(), timeout=TIMEOUT)


def test_a_command_file_that_cannot_be_written_is_said_not_raised(qtbot, make_window, writer):
    run = writer[0]
    w = watching_it_run(qtbot, make_window, writer)
    control_path(run.path).mkdir()  # not a file: every append fails
    w.toggle_pause()
    assert "Cannot send pause" in w.statusBar().currentMessage()


def test_a_folder_this_window_cannot_write_is_said_in_words_when_it_steers(qtbot, make_window, writer, monkeypatch):
    """A read-only share said "Cannot send pause to the run: [Errno 30] Read-only file system: '.../control.jsonl'"
    (trial Q). Root writes into a read-only folder, so the share is played by os.open answering EROFS."""
    import errno

    import ganstudio.core.run_file as run_file

    w = watching_it_run(qtbot, make_window, writer)
    control = str(control_path(writer[0].path))
    real_open = run_file.os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path) == control and flags & os.O_WRONLY:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), control)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(run_file.os, "open", read_only)
    w.toggle_pause()
    assert w.statusBar().currentMessage() == (
        "Cannot send pause to the run: this window cannot write to its folder (Read-only file system), so it can "
        "watch the run but not steer it"
    )


def watching_a_dead_writer(qtbot, make_window, run: RunDirectory):
    """A window watching run, whose writer beat once as running and never again (killed), once it has said so."""
    bridge = FolderBridge(run)
    bridge.state = "running"
    bridge.beat()
    w = make_window()
    w.files.watch_run(run.path)
    w.watch.watcher.timeout_s = 1.0
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
    return w


def test_a_writer_that_stops_beating_is_reported_and_the_run_continues_here(qtbot, make_window, tmp_path):
    from ganstudio.cli import main
    from tests.gui.conftest import wait_finished

    cfg = tmp_path / "cfg.json"
    cfg.write_text(tiny_image_config(steps=10).to_json())
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "run")]) == 0
    run = RunDirectory.open(tmp_path / "run")
    run.write_config(tiny_image_config(steps=20))  # the window's Continue carries it on to 20
    w = watching_a_dead_writer(qtbot, make_window, run)
    assert "has not been heard from" in w.banner.message.text() and f"pid {os.getpid()}" in w.banner.message.text()
    assert w.state is RunPhase.IDLE and w.controls.start_button.text() == "Continue"
    continue_here = w.banner.remedy_buttons[-1]
    assert continue_here.objectName() == "continueHereButton"
    qtbot.mouseClick(continue_here, qtbot_button())
    assert not w.watch.active
    assert wait_finished(qtbot, w) == "done"
    beat = read_heartbeat(run.path)  # the killed writer's "running" went: this window's own says it is done
    assert (beat.state, beat.step) == ("done", 20)
    assert [s.step for s in run.read_metrics()] == list(range(1, 21))
    again = make_window()  # it named the dead writer, "Paused", until its timeout
    assert again.files.watch_run(run.path)
    assert "finished at step 20" in again.statusBar().currentMessage() and again.state is RunPhase.IDLE


def test_a_killed_writers_run_continues_from_its_checkpoints_step_not_its_last_beat(qtbot, make_window, tmp_path):
    """The writer beat at step 14 and saved at 10: Steps at 12 still carries the run on, and Steps at 10 does not
    (a Continue there was offered, then refused for a length not past the checkpoint's step)."""
    from ganstudio.cli import main

    cfg = tmp_path / "cfg.json"
    cfg.write_text(tiny_image_config(steps=10).to_json())
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "run")]) == 0
    run = RunDirectory.open(tmp_path / "run")
    run.write_config(tiny_image_config(steps=20))
    bridge = FolderBridge(run)
    bridge.state, bridge.step = "running", 14
    bridge.beat()
    w = make_window()
    w.files.watch_run(run.path)
    w.watch.watcher.timeout_s = 1.0
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
    assert w.files.resume_step == 10
    w.form.widget("train.steps").setValue(12)
    assert w.controls.start_button.text() == "Continue"
    w.form.widget("train.steps").setValue(10)
    assert w.controls.start_button.text() == "Start"
    assert "raise Steps past 10" in w.controls.start_button.toolTip()


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_run_nobody_writes_is_said_after_the_timeout(qtbot, make_window, tmp_path):
    run = RunDirectory.at(tmp_path / "run")
    run.write_config(tiny_image_config(steps=1000))
    w = make_window()
    w.files.watch_run(run.path)
    w.watch.watcher.timeout_s = 0.5
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
    assert "no process says it trains it" in w.banner.message.text() and "no heartbeat yet" in w.watch_label.text()
    assert w.state is RunPhase.IDLE and w.banner.remedy_buttons == []  # no checkpoint: nothing to continue
    qtbot.waitUntil(
        lambda: w.device_label.text().endswith(" available"), timeout=TIMEOUT
    )  # was "detecting..." for good
    w.watch.leave()
    assert not w.watch_label.isVisible() and w.menu_actions.new_action.isEnabled()


def test_a_finished_run_without_a_heartbeat_is_finished_not_dead(qtbot, make_window, tmp_path):
    """A run a window trained writes no heartbeat: watched after its end, it was "Starting" for 10 s, then
    "probably died" with a Continue here that failed with a traceback."""
    import time

    from PySide6.QtCore import Qt

    from ganstudio.core.checkpoint import load_checkpoint
    from tests.gui.conftest import wait_finished

    trained_run(tiny_image_config(steps=10), tmp_path / "run")
    w = make_window()
    assert w.files.watch_run(tmp_path / "run")
    assert w.state is RunPhase.IDLE and w.controls.progress.value() == 10
    assert "finished at step 10" in w.statusBar().currentMessage() and w.watch_label.text().endswith("(finished)")
    watcher = w.watch.watcher
    watcher._clock = lambda: time.monotonic() + 3600  # an hour of silence
    watcher.tick()
    assert not watcher.lost and not w.banner.isVisible()

    assert w.controls.start_button.text() == "Start"  # Steps still 10: Start would begin a new run
    w.form.widget("train.steps").setValue(15)
    assert w.controls.start_button.text() == "Continue"
    qtbot.mouseClick(w.controls.start_button, Qt.MouseButton.LeftButton)
    assert wait_finished(qtbot, w) == "done"
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["step"] == 15


@pytest.mark.parametrize("leave", ["stop watching", "new run", "open run folder"])
def test_leaving_an_ended_run_shows_this_machines_device(qtbot, make_window, writer, leave, tmp_path):
    """Stop watching said the run went on; New run kept the other process's "CUDA: NVIDIA H200 (on host)"."""
    run, supervisor, bridge = writer
    supervisor.emit(RunInfo(str(run.path), "CUDA: NVIDIA H200", "Fashion-MNIST", 0, 1000, False))
    w = watching_it_run(qtbot, make_window, writer)
    bridge.close("error")
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE, timeout=TIMEOUT)
    assert "failed" in w.banner.message.text() and not w.banner.calm
    assert "NVIDIA H200 (on " in w.device_label.text()
    if leave == "stop watching":
        assert w.windowTitle() == f"GAN Studio - watching {run.path.name}"
        w.watch.leave()
        assert w.statusBar().currentMessage() == f"Stopped watching {run.path.name}"
        assert w.windowTitle() == f"GAN Studio - {run.path.name}"  # its views stay, no longer watched
    elif leave == "new run":
        w.files.new_run()
    else:
        trained_run(tiny_image_config(steps=2), tmp_path / "mine")
        assert w.files.open_run(tmp_path / "mine")
    assert w.device_label.text().endswith(" available")  # this machine's, not the watched run's


def test_a_stop_reason_logged_before_the_run_trained_on_is_not_said_of_its_later_stop(qtbot, make_window, writer):
    """Stopped by SIGHUP at step 5, then carried on and stopped at 20 by something that logs no reason: the
    banner said "stopped by SIGHUP" of the second stop (review Z)."""
    run, supervisor, bridge = writer
    run.append_event({"step": 5, "event": "stopping", "message": "stopped by SIGHUP"})
    w = watching_it_run(qtbot, make_window, writer)
    run.append_metrics(stats(1, 20))
    supervisor.emit(StatsBatch(stats(1, 20)))
    qtbot.waitUntil(lambda: len(w.plots.series) == 20, timeout=TIMEOUT)
    bridge.close("stopped")
    qtbot.waitUntil(lambda: w.banner.isVisible() and "The run stopped" in w.banner.message.text(), timeout=TIMEOUT)
    assert "SIGHUP" not in w.banner.message.text()


def test_a_log_read_again_from_its_start_forgets_the_old_logs_stop_reason(qtbot, make_window, writer):
    """A log rewritten (a rewind, a run trained over) was read again, but the old log's stop reason was kept and
    said of the next stop (review W)."""
    import json
    import os

    run, supervisor, bridge = writer
    run.append_metrics(stats(1, 20))
    run.append_event({"step": 20, "event": "stopping", "message": "stopped by SIGHUP"})
    w = watching_it_run(qtbot, make_window, writer)
    qtbot.waitUntil(lambda: len(w.plots.series) == 20, timeout=TIMEOUT)
    lines = [json.dumps(s.to_record()) for s in stats(1, 20)]
    fresh = run.metrics_path.with_name("fresh.jsonl")
    fresh.write_text("\n".join(lines) + "\n")
    os.replace(fresh, run.metrics_path)  # the log written again, without the old stop
    qtbot.waitUntil(lambda: "log was read again from its start" in w.statusBar().currentMessage(), timeout=TIMEOUT)
    supervisor.emit(StatsBatch(stats(20, 20)))
    bridge.close("stopped")
    qtbot.waitUntil(lambda: w.banner.isVisible() and "The run stopped" in w.banner.message.text(), timeout=TIMEOUT)
    assert "SIGHUP" not in w.banner.message.text()


@pytest.mark.parametrize("ending", ["done", "killed"])
def test_the_last_picture_of_a_watched_run_says_last_trained_once_it_has_ended(qtbot, make_window, writer, ending):
    """Killed, under "killed or crashed" the caption still said "step 557 (live)" (trial Q)."""
    run, supervisor, bridge = writer
    w = watching_it_run(qtbot, make_window, writer)
    run.append_metrics(stats(1, 10))
    supervisor.emit(StatsBatch(stats(1, 10)))
    supervisor.emit(SampleFrame(10, image=np.full((16, 16, 3), 128, np.uint8), saved=False))
    qtbot.waitUntil(lambda: w.samples.caption.text() == "step 10 (live)", timeout=TIMEOUT)
    if ending == "killed":
        w.watch.watcher.timeout_s = 1.0  # and it beats no more
        qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
        qtbot.waitUntil(lambda: w.samples.caption.text() == "step 10 (last picture)", timeout=TIMEOUT)
        return
    bridge.close("done")  # the writer's last heartbeat says it ended; its last picture stays as it was
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.samples.caption.text() == "step 10 (last picture)", timeout=TIMEOUT)
    # why Continue cannot carry it on is said with it, not left for a Start that stays Start to show
    assert (
        w.statusBar().currentMessage()
        == "The watched run finished at step 10. It saved no checkpoint: there is nothing to continue."
    )
    w.files.new_run()  # the message spoke of the run left behind, and stayed
    assert w.statusBar().currentMessage().startswith("New run: ")


def test_a_watched_run_given_more_steps_elsewhere_shows_its_new_length(qtbot, make_window, writer):
    run, supervisor, _ = writer
    w = watching_it_run(qtbot, make_window, writer)
    run.append_metrics(stats(1, 1000))
    supervisor.emit(StatsBatch(stats(1, 1000)))
    qtbot.waitUntil(lambda: w.controls.progress.value() == 1000, timeout=TIMEOUT)
    longer = tiny_image_config(steps=3000)  # `train --resume RUN --steps 3000` rewrites config.json
    run.write_config(longer)
    run.append_metrics(stats(1001, 1010))
    supervisor.emit(StatsBatch(stats(1001, 1010)))
    qtbot.waitUntil(lambda: w.controls.progress.value() == 1010, timeout=TIMEOUT)
    assert w.controls.progress.maximum() == 3000 and w.form.widget("train.steps").value() == 3000
    assert w.state is RunPhase.RUNNING


def test_a_window_watching_a_stopped_run_shows_the_length_and_rates_a_new_writer_resumed_it_with(
    qtbot, make_window, writer
):
    """`train --resume RUN --steps 3000 --set optim.lr_d=...` in a terminal: the window that had watched the run stop
    went on saying 1000 steps and D's old rate while the new writer trained on to 3000 with the new one."""
    run, supervisor, bridge = writer
    w = watching_it_run(qtbot, make_window, writer)
    run.append_metrics(stats(1, 400))
    supervisor.emit(StatsBatch(stats(1, 400)))
    bridge.close("stopped")
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE and w.banner.isVisible(), timeout=TIMEOUT)
    resumed = tiny_image_config(steps=3000)
    resumed.optim.lr_d = 5e-4
    run.write_config(resumed)
    new_writer = FolderBridge(run)
    new_writer.on_event(StateChanged("running"))
    try:
        qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=TIMEOUT)
        assert w.controls.progress.maximum() == 3000 and w.form.widget("train.steps").value() == 3000
        assert w.live.binders["lr_d"].value() == pytest.approx(5e-4)
        assert not w.banner.isVisible()
    finally:
        new_writer.close()


def test_a_window_watching_an_ended_run_follows_another_window_carrying_it_on(qtbot, make_window, writer):
    """Carrying a run on removes the ended writer's heartbeat; a window already watching kept the ended beat,
    offering Continue here while another window trained the run."""
    from ganstudio.core.control import forget_last_writer

    run, _, bridge = writer
    w = watching_it_run(qtbot, make_window, writer)
    bridge.close("stopped")
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE and w.banner.isVisible(), timeout=TIMEOUT)
    run.write_config(tiny_image_config(steps=3000))  # the other window's Continue, with Steps raised
    forget_last_writer(run.path)  # what TrainingSession.resume does in the other window
    run.append_metrics(stats(1, 5))
    qtbot.waitUntil(lambda: w.state is RunPhase.STARTING, timeout=TIMEOUT)
    assert w.watch.watcher.last_beat is None and not w.banner.isVisible() and w.files.continuable is None
    assert w.controls.progress.maximum() == 3000
    assert "no heartbeat" in w.watch_label.text()


def test_a_run_stopped_by_its_own_alarm_policy_stays_red(qtbot, make_window, writer):
    """`train --on-alarm stop` stops itself after an alarm, with no window's stop command: not a calm stop."""
    run, _, bridge = writer
    w = watching_it_run(qtbot, make_window, writer)
    run.append_event({"step": 3, "event": "alarm", "kind": "divergence", "message": "Losses are exploding."})
    qtbot.waitUntil(lambda: "exploding" in w.banner.message.text(), timeout=TIMEOUT)
    bridge.close("stopped")
    qtbot.waitUntil(lambda: "The run stopped" in w.banner.message.text(), timeout=TIMEOUT)
    assert not w.banner.calm


def test_a_watched_folder_emptied_under_the_window_is_said_gone_and_takes_no_command(qtbot, make_window, writer):
    """rm -rf on a watched folder while its writer went on: the plots emptied with no word; then its config.json
    gone was asked about ("was the folder deleted?"). Emptied with no writer (a share unmounted from its mount
    point) it read as "Another process carried the run on", and its Stop wrote a control.jsonl into the empty
    folder (trial Q)."""
    run = writer[0]
    w = watching_it_run(qtbot, make_window, writer)
    run.append_metrics(stats(1, 20))
    qtbot.waitUntil(lambda: len(w.plots.series) == 20, timeout=TIMEOUT)
    run.config_path.unlink()
    run.metrics_path.unlink()
    run.append_metrics(stats(21, 22))  # the writer's next lines, in a new file
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
    assert "is gone (moved, removed, emptied, or its share unmounted)" in w.banner.message.text()
    assert "carried the run on" not in w.statusBar().currentMessage()
    assert w.state is RunPhase.IDLE and not w.controls.stop_button.isEnabled()
    assert not control_path(run.path).exists()


def test_a_deep_run_folder_is_cut_short_in_the_status_bar(qtbot, make_window, tmp_path):
    """A permanent label as wide as the path left the status bar's messages a few words at 1280x800."""
    from ganstudio.gui.watch_mode import WATCH_LABEL_PATH_PX

    run = RunDirectory.at(tmp_path / ("deep-folder-" * 12) / "run")
    run.write_config(tiny_image_config(steps=1000))
    w = make_window()
    w.files.watch_run(run.path)
    label = w.watch_label
    assert "…" in label.text() and label.text().endswith("(no heartbeat yet)")
    assert (
        label.sizeHint().width()
        < WATCH_LABEL_PATH_PX + label.fontMetrics().horizontalAdvance("watching  (no heartbeat yet)") + 20
    )
    assert str(run.path) in label.toolTip()


def test_the_folder_dialogs_start_in_the_runs_folder_or_home_before_it_exists(make_window, tmp_path, monkeypatch):
    """Before a first run made the runs folder, Qt's dialog started in the current folder with its name typed in."""
    from pathlib import Path

    w = make_window()
    assert not Path(w.settings.runs_dir).exists()
    assert w.files.folder_to_browse() == str(Path.home())
    Path(w.settings.runs_dir).mkdir()
    assert w.files.folder_to_browse() == w.settings.runs_dir
    elsewhere = tmp_path / "shared" / "runs"  # then beside the run folder last chosen: it started in the runs
    trained_run(tiny_image_config(steps=2), elsewhere / "r1")  # folder each time, far from runs kept elsewhere
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(elsewhere / "r1"))
    w.menu_actions.open_action.trigger()
    assert w.run_dir == str(elsewhere / "r1") and w.files.folder_to_browse() == str(elsewhere)
    assert make_window().files.folder_to_browse() == str(elsewhere)  # remembered in the settings


def test_a_run_without_a_heartbeat_that_reaches_its_last_step_while_watched_has_finished(qtbot, make_window, tmp_path):
    run = RunDirectory.at(tmp_path / "run")
    run.write_config(tiny_image_config(steps=10))
    run.append_metrics(stats(1, 5))  # a window trains it: a log, no heartbeat
    w = make_window()
    w.files.watch_run(run.path)
    assert w.state is RunPhase.STARTING and not w.watch.watcher.finished
    run.append_metrics(stats(6, 10))
    w.watch.watcher.tick()
    assert w.state is RunPhase.IDLE and w.watch.watcher.finished
    assert "finished at step 10" in w.statusBar().currentMessage()
    run.write_config(tiny_image_config(steps=20))  # another window carries it on to 20
    run.append_metrics(stats(11, 12))
    w.watch.watcher.tick()
    assert not w.watch.watcher.finished  # its silence could be a death again


def test_a_change_the_watched_run_refuses_is_said_by_the_fields(qtbot, make_window, writer):
    """It was a status-bar line that went in seconds, the refused value left in its field."""
    _, supervisor, _ = writer
    w = watching_it_run(qtbot, make_window, writer)
    w.live.widget("lr_g").setText("1e9")
    qtbot.mouseClick(w.live.apply_button, qtbot_button())
    assert [c.fields for c in supervisor.poll()] == [{"lr_g": 1e9}]
    supervisor.emit(Refused(0, "Change refused: lr_g: must be at most 1", change=True))
    qtbot.waitUntil(lambda: w.live.error.text() != "", timeout=TIMEOUT)
    assert w.live.error.text() == "Change refused: lr_g: must be at most 1"
    assert float(w.live.widget("lr_g").text()) == tiny_image_config().optim.lr_g


def test_a_watched_toy_run_draws_its_distribution_and_passes_a_planted_file_by(qtbot, make_window, tmp_path):
    """The Distribution tab of a watched toy run stayed empty: its D and G live in the training process."""
    import torch

    from ganstudio.core.config import check
    from ganstudio.core.control import distribution_path
    from ganstudio.core.distribution import distribution_frame
    from ganstudio.core.events import DistributionShown
    from ganstudio.core.trainer import Trainer
    from tests.conftest import tiny_toy_config

    config = check(tiny_toy_config(steps=1000))
    run = RunDirectory.at(tmp_path / "run")
    run.write_config(config)
    supervisor, bridge = FakeSupervisor(), FolderBridge(run)
    supervisor.add_listener(bridge.on_event)
    bridge.beat()
    try:
        trainer = Trainer(config)
        trainer.step()
        real = trainer.data.sample(200, torch.Generator().manual_seed(0)).numpy()
        frame = distribution_frame(trainer, real, torch.randn(100, config.model.latent_dim))
        supervisor.emit(SampleFrame(frame.step, real=frame.real, fake=frame.fake))
        supervisor.emit(DistributionShown(frame))
        w = make_window()
        assert w.files.watch_run(run.path)
        qtbot.waitUntil(lambda: w.distribution.frame is not None, timeout=TIMEOUT)
        assert w.distribution.frame.step == 1 and np.array_equal(w.distribution.frame.d_map, frame.d_map)
        drawn = w.distribution.real_item.data
        assert len(drawn) == 200

        distribution_path(run.path).write_bytes(b"PK\x03\x04 planted")
        ticks = []
        w.watch.watcher.timer.timeout.connect(lambda: ticks.append(1))
        qtbot.waitUntil(lambda: len(ticks) >= 2, timeout=TIMEOUT)
        assert w.distribution.frame.step == 1 and w.watch.active
        bridge.close("done")
        qtbot.waitUntil(lambda: w.state is RunPhase.IDLE, timeout=TIMEOUT)
        w.files.new_run()  # the view kept the run left behind
        assert w.distribution.frame is None and len(w.distribution.real_item.data) == 0
    finally:
        bridge.close()


def test_two_windows_steering_one_run_do_not_undo_each_others_changes(qtbot, make_window, writer):
    """Window 1 showed the old lr G after window 2's change, and sent it back with its own lr D change."""
    run, supervisor, _ = writer
    first, second = watching_it_run(qtbot, make_window, writer), watching_it_run(qtbot, make_window, writer)
    second.live.widget("lr_g").setText("0.0005")
    qtbot.mouseClick(second.live.apply_button, qtbot_button())
    assert [c.fields for c in supervisor.poll()] == [{"lr_g": 0.0005}]
    first.live.widget("lr_d").setText("0.0003")  # being typed in window 1 as the change lands
    run.append_event({"step": 15, "event": "change", "lr_g": 0.0005})  # the run applied window 2's change
    qtbot.waitUntil(lambda: first.live.widget("lr_g").text() == "0.0005", timeout=TIMEOUT)
    assert first.live.widget("lr_d").text() == "0.0003"  # an edit under way is left as typed
    qtbot.mouseClick(first.live.apply_button, qtbot_button())
    assert [c.fields for c in supervisor.poll()] == [{"lr_d": 0.0003}]


def test_a_watched_run_that_fails_says_why_in_the_window(qtbot, make_window, writer):
    """The window said only "The run failed (pid ...)": the reason was on the trainer's stderr alone."""
    run, supervisor, _ = writer
    w = watching_it_run(qtbot, make_window, writer)
    reason = (
        "could not save the checkpoint RUN/checkpoints/latest.pt: Operation not permitted; the previous one is kept"
    )
    supervisor.emit(Failed("Traceback ...\nCheckpointError: ...", RuntimeError(reason + "\nsecond line")))
    supervisor.emit(Finished("error", 0))
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
    assert f"The run failed (pid {os.getpid()} on " in w.banner.message.text()
    assert f"). C{reason[1:]}. " in w.banner.message.text()  # a sentence of its own, not "). could not ..."
    assert [r["message"] for r in run.read_events("failed")] == [reason]


def test_a_watched_run_whose_disk_filled_says_why_though_its_log_had_no_room(qtbot, make_window, writer, monkeypatch):
    """A full disk kept out the log's `failed` record and the last heartbeat (a new file needs a block): the heartbeat
    went on saying "running", and the window said the writer "was killed or crashed"."""
    import errno

    run, supervisor, _ = writer
    w = watching_it_run(qtbot, make_window, writer)

    def no_room(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("ganstudio.core.control.atomic_write", no_room)
    monkeypatch.setattr(RunDirectory, "append_event", no_room)
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(run.metrics_path))
    supervisor.emit(Failed("Traceback ...\nOSError: ...", full))
    supervisor.emit(Finished("error", 0))
    assert read_heartbeat(run.path).state == "error"
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
    assert f"The run failed (pid {os.getpid()} on " in w.banner.message.text()
    assert f"The disk is full (writing {run.metrics_path})" in w.banner.message.text()
    assert run.read_events("failed") == []


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="a process's state is read from /proc")
def test_a_writer_stopped_or_killed_on_this_machine_is_said_as_such(qtbot, make_window, tmp_path):
    """A killed writer was "Running" for 10 s, then "probably died". A stopped one was called dead too, offered a
    Continue here that its lock refused, and the window then stopped watching the run it went on training."""
    import json
    import signal
    import socket
    import time

    from ganstudio.core.control import Heartbeat, heartbeat_path

    run = RunDirectory.at(tmp_path / "run")
    run.write_config(tiny_image_config(steps=1000))

    def beat(pid: int, step: int) -> None:
        record = Heartbeat(pid, socket.gethostname(), step, "running", time.time()).to_record()
        heartbeat_path(run.path).write_text(json.dumps(record) + "\n", encoding="utf-8")

    child = idle_process()
    try:
        beat(child.pid, 5)
        w = make_window()
        w.files.watch_run(run.path)
        qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=TIMEOUT)
        assert w.watch.watcher.timeout_s == 10.0
        os.kill(child.pid, signal.SIGSTOP)
        os.waitpid(child.pid, os.WUNTRACED)  # returns once the kernel has stopped it
        started = time.monotonic()
        qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
        assert time.monotonic() - started < 8.0  # three missed beats, not ten
        text = w.banner.message.text()
        assert f"(pid {child.pid} on " in text and "is stopped (Ctrl+Z or SIGSTOP)" in text, text
        assert f"kill -CONT {child.pid}" in text and w.banner.calm
        assert not [b for b in w.banner.remedy_buttons if b.objectName() == "continueHereButton"]
        assert w.state is RunPhase.PAUSED and w.watch.active and w.files.continuable is None
        os.kill(child.pid, signal.SIGCONT)
        beat(child.pid, 9)  # continued: it beats again
        qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=TIMEOUT)
        assert not w.banner.isVisible()
        w.watch.leave()

        child.kill()
        child.wait(timeout=10)
        again = make_window()
        again.files.watch_run(run.path)
        started = time.monotonic()
        qtbot.waitUntil(lambda: again.banner.isVisible(), timeout=TIMEOUT)
        assert time.monotonic() - started < 8.0
        assert "has ended without saying so: it was killed or crashed" in again.banner.message.text()
        assert again.state is RunPhase.IDLE
    finally:
        child.kill()
        child.wait(timeout=10)


def watching_a_writer_process(qtbot, make_window, tmp_path, pid: int):
    """A run folder whose heartbeat names process pid on this machine as its running writer, and a window watching
    it once it says the run is running."""
    import json
    import socket
    import time

    from ganstudio.core.control import Heartbeat, heartbeat_path

    run = RunDirectory.at(tmp_path / "run")
    run.write_config(tiny_image_config(steps=1000))
    record = Heartbeat(pid, socket.gethostname(), 5, "running", time.time()).to_record()
    heartbeat_path(run.path).write_text(json.dumps(record) + "\n", encoding="utf-8")
    w = make_window()
    w.files.watch_run(run.path)
    qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=TIMEOUT)
    return run, w


def test_a_stopped_writer_that_is_then_killed_is_said_to_be_gone(qtbot, make_window, tmp_path):
    """The watcher said a writer's silence once: a stopped writer killed afterwards left the window PAUSED for
    good, still saying "continue it with kill -CONT"."""
    import signal

    child = idle_process()
    try:
        _run, w = watching_a_writer_process(qtbot, make_window, tmp_path, child.pid)
        os.kill(child.pid, signal.SIGSTOP)
        os.waitpid(child.pid, os.WUNTRACED)
        qtbot.waitUntil(lambda: "is stopped" in w.banner.message.text(), timeout=TIMEOUT)
        assert w.state is RunPhase.PAUSED
        child.kill()
        child.wait(timeout=10)
        qtbot.waitUntil(lambda: "killed or crashed" in w.banner.message.text(), timeout=TIMEOUT)
        assert w.state is RunPhase.IDLE and not w.banner.calm
    finally:
        child.kill()
        child.wait(timeout=10)


def test_a_writer_that_ended_while_its_folder_was_away_is_said_so_once_it_is_back(qtbot, make_window, tmp_path):
    """The writer failed in one line where it was started (its folder gone, not made again): once the folder was back,
    the window said it "ended without saying so: it was killed or crashed"."""

    child = idle_process()
    try:
        run, w = watching_a_writer_process(qtbot, make_window, tmp_path, child.pid)
        away = run.path.with_name("away")
        run.path.rename(away)
        qtbot.waitUntil(lambda: "is gone" in w.banner.message.text(), timeout=TIMEOUT)
        child.kill()  # its next write found no folder
        child.wait(timeout=10)
        away.rename(run.path)
        qtbot.waitUntil(lambda: "ended while its folder was away" in w.banner.message.text(), timeout=TIMEOUT)
        assert "killed or crashed" not in w.banner.message.text() and w.state is RunPhase.IDLE
    finally:
        child.kill()
        child.wait(timeout=10)


@pytest.mark.parametrize("broken", ["exported generator", "edited config"])
def test_a_dead_writers_run_that_cannot_be_continued_says_why_and_offers_no_continue(
    qtbot, make_window, tmp_path, broken
):
    """A watched run whose writer died offered "Continue here" on what was in its folder, unlooked at: an image
    set's generator.pt copied over latest.pt, or a config.json edited where a continued run may not change,
    failed at every press, as opening the folder had said at once."""
    import json

    from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint

    trained_run(tiny_image_config(steps=4, checkpoint_every=4), tmp_path / "run")
    run = RunDirectory.open(tmp_path / "run")
    edited = json.loads(run.config_path.read_text())
    edited["train"]["steps"] = 40  # not finished: a run that went quiet
    if broken == "exported generator":
        state = load_checkpoint(run.latest_checkpoint)
        save_checkpoint(
            {k: v for k, v in state.items() if k != "discriminator" and not k.startswith("opt")}, run.latest_checkpoint
        )
    else:
        edited["model"]["width"] = 16
    run.config_path.write_text(json.dumps(edited))
    w = watching_a_dead_writer(qtbot, make_window, run)
    text = w.banner.message.text()
    said = (
        "holds only a generator"
        if broken == "exported generator"
        else "model.width (config.json differs from the checkpoint)"
    )
    assert "has not been heard from" in text and "It cannot be continued: " in text and said in text, text
    assert not [b for b in w.banner.remedy_buttons if b.objectName() == "continueHereButton"]
    assert w.files.continuable is None and w.controls.start_button.text() == "Start"


def test_continue_here_on_a_run_another_process_still_holds_says_so_and_goes_on_watching(qtbot, make_window, tmp_path):
    """A silent writer that still held the run's lock: Continue here was refused by the training thread, and the
    window had stopped watching the run by then."""
    import os

    session = trained_run(tiny_image_config(steps=4, checkpoint_every=4), tmp_path / "held", close=False)
    try:
        run = RunDirectory.open(tmp_path / "held")
        run.write_config(tiny_image_config(steps=40))  # not finished: a run that went quiet
        w = make_window()
        assert w.files.watch_run(run.path)
        w.watch.watcher.timeout_s = 0.5
        qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=TIMEOUT)
        continue_here = w.banner.remedy_buttons[-1]
        assert continue_here.objectName() == "continueHereButton"
        qtbot.mouseClick(continue_here, qtbot_button())
        assert w.errors.dialog is not None and w.errors.dialog.windowTitle() == "Cannot continue here"
        assert f"being trained by another run in this process (pid {os.getpid()}" in w.errors.dialog.text()
        assert w.watch.active and not w.controller.running
    finally:
        session.close()


def test_a_run_another_window_trains_is_watched_and_stopped_from_this_one(qtbot, make_window):
    """A window's own run wrote no heartbeat and read no control.jsonl: a second window watching it said
    "Starting (no heartbeat yet)" for the whole run, and its Stop was written and never carried out."""
    from PySide6.QtCore import Qt

    from ganstudio.core.checkpoint import load_checkpoint
    from tests.conftest import tiny_toy_config
    from tests.gui.conftest import wait_finished

    trainer = make_window(tiny_toy_config(steps=100000, log_every=1))
    with qtbot.waitSignal(trainer.controller.stats_ready, timeout=TIMEOUT):
        trainer.start()
    watcher = make_window()
    assert watcher.files.open_run(trainer.run_dir) and watcher.watch.active
    qtbot.waitUntil(lambda: watcher.state is RunPhase.RUNNING, timeout=TIMEOUT)
    assert read_heartbeat(trainer.run_dir).pid == os.getpid()
    qtbot.mouseClick(watcher.controls.stop_button, Qt.MouseButton.LeftButton)
    assert wait_finished(qtbot, trainer) == "stopped"
    stopped_at = load_checkpoint(os.path.join(trainer.run_dir, "checkpoints", "latest.pt"))["step"]
    qtbot.waitUntil(lambda: watcher.state is RunPhase.IDLE, timeout=TIMEOUT)
    assert watcher.controls.progress.value() == stopped_at
