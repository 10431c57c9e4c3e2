"""A real `ganstudio train` in another process, watched and steered by a real window."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ganstudio.core.control import read_heartbeat
from ganstudio.core.runlog import RunDirectory
from ganstudio.gui.run_phase import RunPhase
from tests.conftest import tiny_image_config

START_TIMEOUT = 120000  # the subprocess imports torch and loads the dataset on a shared 2-core CPU
TIMEOUT = 30000
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def train_process(tmp_path):
    config = tmp_path / "cfg.json"
    config.write_text(
        tiny_image_config(steps=1_000_000, log_every=5, sample_every=50, checkpoint_every=1_000_000).to_json()
    )
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--config", str(config), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield proc, out
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)


def test_a_window_watches_pauses_changes_and_stops_a_training_process(qtbot, make_window, train_process):
    proc, out = train_process
    qtbot.waitUntil(lambda: proc.poll() is None and state_of(out) == "running", timeout=START_TIMEOUT)
    w = make_window()
    assert w.files.watch_run(out)
    qtbot.waitUntil(lambda: len(w.plots.series) >= 20 and w.state is RunPhase.RUNNING, timeout=TIMEOUT)
    assert f"pid {proc.pid} on " in w.watch_label.text()
    qtbot.waitUntil(lambda: w.samples.live is not None, timeout=TIMEOUT)

    qtbot.mouseClick(w.controls.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.state is RunPhase.PAUSED, timeout=TIMEOUT)
    paused_at = read_heartbeat(out).step
    beats = set()

    def three_more_heartbeats() -> bool:
        beats.add(read_heartbeat(out).time)
        return len(beats) >= 3

    qtbot.waitUntil(three_more_heartbeats, timeout=TIMEOUT)
    assert read_heartbeat(out).step == paused_at, "the process went on training while paused"
    assert RunDirectory(out).read_metrics()[-1].step == paused_at

    marks = len(w.plots.marks)
    w.live.widget("lr_g").setText("0.00037")
    qtbot.mouseClick(w.live.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.plots.marks) > marks, timeout=TIMEOUT)
    assert [r["lr_g"] for r in RunDirectory(out).read_events("change")] == [0.00037]
    assert RunDirectory(out).read_config().optim.lr_g == 0.00037

    qtbot.mouseClick(w.controls.pause_button, Qt.MouseButton.LeftButton)  # Resume
    qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING and read_heartbeat(out).step > paused_at, timeout=TIMEOUT)
    w.files.refresh_explorer()  # asks the process for its generator through the control file
    qtbot.waitUntil(
        lambda: w.explorer.state.snapshot is not None and w.explorer.state.snapshot.step > paused_at, timeout=TIMEOUT
    )
    assert w.explorer.state.checkpoint_path.endswith("snapshot.pt")

    qtbot.mouseClick(w.controls.stop_button, Qt.MouseButton.LeftButton)
    proc.wait(60)
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE, timeout=TIMEOUT)
    beat = read_heartbeat(out)
    assert beat.state == "stopped"
    assert f"stopped from a watching window at step {beat.step:,}; checkpoint saved" in proc.stdout.read()
    from ganstudio.core.checkpoint import load_checkpoint

    assert load_checkpoint(out / "checkpoints" / "latest.pt")["step"] == beat.step > paused_at
    assert w.controls.start_button.text() == "Continue" and "The run stopped (pid" in w.banner.message.text()
    assert (
        w.controls.progress.value() == beat.step == w.plots.series.column("step")[-1]
    )  # the run's last steps are shown


def state_of(out: Path) -> str | None:
    beat = read_heartbeat(out)
    return beat.state if beat is not None else None


def test_a_watched_process_stopped_by_a_signal_is_said_so_in_the_window(qtbot, make_window, train_process):
    """The banner said "The run stopped (pid N on host)." and no more; the process had printed "stopped by
    SIGHUP" on its own terminal (trial Q)."""
    import signal

    proc, out = train_process
    qtbot.waitUntil(lambda: proc.poll() is None and state_of(out) == "running", timeout=START_TIMEOUT)
    w = make_window()
    assert w.files.watch_run(out)
    qtbot.waitUntil(lambda: w.state is RunPhase.RUNNING, timeout=TIMEOUT)
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(60) == 130
    qtbot.waitUntil(lambda: w.state is RunPhase.IDLE and w.banner.isVisible(), timeout=TIMEOUT)
    text = w.banner.message.text()
    assert f"The run stopped (pid {proc.pid} on " in text and text.endswith("). Stopped by SIGHUP."), text
    assert w.banner.calm  # asked for, not a fault
    assert [r["message"] for r in RunDirectory(out).read_events("stopping")] == ["stopped by SIGHUP"]
