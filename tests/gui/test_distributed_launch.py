"""From the window: a run on 2 CPU processes started through torchrun, watched, and stopped on close."""

from pathlib import Path

import shiboken6
from PySide6.QtCore import QTimer

from ganstudio.core.control import read_heartbeat
from tests.conftest import tiny_toy_config

START_TIMEOUT = 180000  # torchrun and two ranks import torch on a shared 2-core CPU


def test_start_on_two_processes_watches_the_run_and_close_can_stop_it(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_DIST_TIMEOUT_S", "90")
    config = tiny_toy_config(steps=1_000_000, log_every=5, checkpoint_every=1_000_000)
    config.perf.processes = 2
    w = make_window(config)
    assert w.launcher.start(config, None, str(tmp_path / "runs"))
    qtbot.waitUntil(lambda: w.watch.active and w.state == "running", timeout=START_TIMEOUT)
    assert not w.statusBar().currentMessage().startswith("Starting")  # it stayed while the run trained
    qtbot.waitUntil(lambda: len(w.plots.series) >= 5, timeout=60000)
    qtbot.waitUntil(lambda: w.distribution.frame is not None, timeout=60000)  # drawn by rank 0, read from its folder
    run = w.launcher.run.path
    assert w.launcher.may_close(ask=lambda: "cancel") is False and w.launcher.running
    # The window's events go on while the processes save (it was frozen up to 60 s); a second close then (a
    # second Ctrl-C) ends the wait, leaving the first close to finish, instead of asking again.
    seen_while_stopping, waits = [], []
    QTimer.singleShot(
        0,
        lambda: (
            waits.append(w.launcher._stop_wait),
            seen_while_stopping.append((w.launcher.process.poll(), w.launcher.may_close(ask=lambda: "stop"))),
        ),
    )
    output = Path(w.launcher._error_file)
    assert w.launcher.may_close(ask=lambda: "stop") is True
    assert seen_while_stopping == [(None, False)]
    qtbot.waitUntil(lambda: not shiboken6.isValid(waits[0]), timeout=5000)  # its polling timer goes with it
    assert not output.exists()  # the child's stderr file is not left in the temporary folder
    assert w.launcher.process.wait(timeout=60) == 130  # stopped as asked, its checkpoint saved
    beat = read_heartbeat(run)
    assert beat.state == "stopped" and (run / "checkpoints" / "latest.pt").is_file()
