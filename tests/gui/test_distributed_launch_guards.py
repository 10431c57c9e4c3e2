"""Start with Processes > 1: one child at a time, Start disabled while it starts, and the reason it
refused in the error dialog (real child processes, real offscreen window)."""

from pathlib import Path

from ganstudio.gui.run_phase import RunAction, RunPhase
from tests.conftest import tiny_toy_config

START_TIMEOUT = 120000  # the child imports torch on a shared 2-core CPU


def test_a_refused_start_says_why_and_gives_start_back(qtbot, make_window, tmp_path):
    """Two processes on cuda with fewer GPUs (none here): the child refuses in one line before torchrun."""
    config = tiny_toy_config(steps=100)
    config.perf.processes = 2
    config.train.device = "cuda"
    w = make_window(config)
    assert w.launcher.start(config, None, str(tmp_path / "runs"))
    assert w.state is RunPhase.STARTING and not w.state.allows(RunAction.START)
    assert not w.launcher.start(config, None, str(tmp_path / "runs"))  # a second click launches nothing
    qtbot.waitUntil(lambda: w.errors.dialog is not None and w.errors.dialog.isVisible(), timeout=START_TIMEOUT)
    assert "needs 2 GPUs" in w.errors.dialog.text()
    assert w.state is RunPhase.IDLE
    assert len(list((tmp_path / "runs").iterdir())) == 1
    w.errors.dialog.close()


def test_stop_while_starting_cancels_the_child(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSTUDIO_DIST_TIMEOUT_S", "90")
    config = tiny_toy_config(steps=1_000_000)
    config.perf.processes = 2
    w = make_window(config)
    w.start()
    assert w.launcher.starting and w.state is RunPhase.STARTING
    child = w.launcher.process
    w.start()  # refused by the phase: still one child, one folder
    assert w.launcher.process is child
    assert len(list(Path(w.settings.runs_dir).iterdir())) == 1
    w.stop()
    qtbot.waitUntil(lambda: not w.launcher.running and w.state is RunPhase.IDLE, timeout=START_TIMEOUT)
    assert w.errors.dialog is None or not w.errors.dialog.isVisible()
