"""Start with Processes > 1: one child at a time, Start disabled while it starts, and the reason it
refused in the error dialog (real child processes, real offscreen window)."""

import time
from pathlib import Path

import pytest

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
    assert len(list((tmp_path / "runs").iterdir())) == 1
    qtbot.waitUntil(lambda: w.errors.dialog is not None and w.errors.dialog.isVisible(), timeout=START_TIMEOUT)
    assert "needs 2 GPUs" in w.errors.dialog.text()
    assert w.state is RunPhase.IDLE
    assert list((tmp_path / "runs").iterdir()) == []  # the folder made for it is taken back
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


def test_closing_with_stop_while_the_run_is_starting_ends_it(qtbot, make_window, tmp_path, monkeypatch):
    """The stop went to the control file before rank 0 read it, which took it for an old command: the window
    closed after its minute's wait and the run trained on with nobody watching."""
    monkeypatch.setenv("GANSTUDIO_DIST_TIMEOUT_S", "90")
    config = tiny_toy_config(steps=1_000_000)
    config.perf.processes = 2
    w = make_window(config)
    assert w.launcher.start(config, None, str(tmp_path / "runs"))
    assert w.launcher.starting
    started = time.monotonic()
    assert w.launcher.may_close(ask=lambda: "stop") is True
    w.launcher.process.wait(timeout=30)  # interrupted as Ctrl-C would, not left to train on
    assert time.monotonic() - started < 30  # not the minute's wait for a stop nobody would carry out


def test_a_refused_continue_on_many_processes_says_why(qtbot, make_window, tmp_path):
    """Continuing a run whose folder is there already: its config.json used to pass for "started", so the
    child's refusal (here: Steps not past the run's last step) was never shown."""
    from ganstudio.core.control import FolderBridge
    from ganstudio.core.runlog import RunDirectory
    from tests.conftest import trained_run

    trained_run(tiny_toy_config(steps=6), tmp_path / "done")
    FolderBridge(tmp_path / "done").close("done")  # the last writer's heartbeat: it finished
    w = make_window()
    assert w.files.open_run(tmp_path / "done")
    w.form.widget("perf.processes").setValue(2)
    w.form.widget("optim.lr_g").setText("0.0005")  # a change a continued run takes: passed on as train's --set
    config = w.form.config()
    assert w.launcher.start(config, RunDirectory.open(tmp_path / "done"), str(tmp_path / "runs"))
    assert w.launcher.process.args[-2:] == ["--set", "optim.lr_g=0.0005"]
    qtbot.waitUntil(lambda: w.errors.dialog is not None and w.errors.dialog.isVisible(), timeout=START_TIMEOUT)
    assert w.errors.dialog.text().startswith("ganstudio: error:")
    assert not w.watch.active
    w.errors.dialog.close()


def _launch_with(monkeypatch, script: str) -> None:
    """The window's `ganstudio train --nproc` child replaced by script, run with the launch's --config and --out
    and a stdin the test closes to end it; subprocess's own Popen starts other children (a device probe)."""
    import subprocess
    import sys

    from ganstudio.gui import distributed_launch

    real = subprocess.Popen

    def stand_in(args, **kwargs):
        if "--nproc" not in args:
            return real(args, **kwargs)
        given = [args[args.index("--config") + 1], args[args.index("--out") + 1]]
        return real([sys.executable, "-c", script, *given], stdin=subprocess.PIPE, **kwargs)

    monkeypatch.setattr(distributed_launch.subprocess, "Popen", stand_in)


BEATS_UNTIL_TOLD = (
    "import sys; from ganstudio.core.control import FolderBridge; "
    "b = FolderBridge(sys.argv[2]); b.state = 'running'; b.beat(); sys.stdin.read()"
)


def _watching_a_launch(qtbot, make_window, tmp_path, monkeypatch, script: str):
    """A window that launched script as its run on 2 processes (_launch_with) and watches the run's folder."""
    _launch_with(monkeypatch, script)
    config = tiny_toy_config(steps=100)
    config.perf.processes = 2
    w = make_window(config)
    assert w.launcher.start(config, None, str(tmp_path / "runs"))
    qtbot.waitUntil(lambda: not w.launcher.starting, timeout=START_TIMEOUT)
    return w


def test_a_child_that_ends_while_the_window_watches_is_not_left_a_zombie(qtbot, make_window, tmp_path, monkeypatch):
    """Once the window watched the folder nothing polled the launcher, which stayed <defunct> until the next
    launch. The child here beats once, as rank 0 does when it holds the folder, and ends when told (its stdin
    closed), once the window watches."""
    w = _watching_a_launch(qtbot, make_window, tmp_path, monkeypatch, BEATS_UNTIL_TOLD)
    assert w.launcher.running  # watched while it runs, as a real launch is
    w.launcher.process.stdin.close()  # the run ends
    pid = w.launcher.process.pid
    qtbot.waitUntil(lambda: not Path(f"/proc/{pid}").exists(), timeout=30000)  # reaped: it stayed <defunct>


KILLED = "rank 1 of 2 (pid 4242) was killed by SIGKILL (kill -9, or the system out of memory)"
RANK_0_FAILS = f"""
import shutil, sys
from ganstudio.core.control import FolderBridge
from ganstudio.core.wording import LOST_PEER
from ganstudio.core.events import Failed
shutil.copy(sys.argv[1], sys.argv[2] + "/config.json")
bridge = FolderBridge(sys.argv[2])
bridge.state = "running"
bridge.beat()
sys.stdin.read()
bridge.on_event(Failed(message="", summary=LOST_PEER + " (Connection closed by peer)"))
bridge.close("error")
advice = "; it had saved no checkpoint yet: train it over with: ganstudio train --resume R --restart --nproc 2"
print("ganstudio: error: {KILLED}: " + LOST_PEER + " (Connection closed by peer)" + advice, file=sys.stderr)
sys.exit(2)
"""


def test_the_window_says_which_rank_was_killed_as_its_launcher_does(qtbot, make_window, tmp_path, monkeypatch):
    """A rank killed with kill -9 says nothing; rank 0 logs only that another process went, and the banner said
    just that. The launcher's line (torchrun tells it which rank, and by which signal) is the banner's now. The
    stand-in fails as rank 0 does, then prints the launcher's line and ends."""
    _launch_with(monkeypatch, RANK_0_FAILS)
    config = tiny_toy_config(steps=100)
    config.perf.processes = 2
    w = make_window(config)
    assert w.launcher.start(config, None, str(tmp_path / "runs"))
    qtbot.waitUntil(lambda: w.watch.active and w.state is RunPhase.RUNNING, timeout=START_TIMEOUT)
    w.launcher.process.stdin.close()
    said = f"Rank{KILLED.removeprefix('rank')}: another process of this run ended"
    qtbot.waitUntil(lambda: said in w.banner.message.text(), timeout=30000)
    text = w.banner.message.text()
    assert "The run failed" in text and text.count("another process of this run") == 1  # not the log's line too
    assert "train it over with" not in text  # the command line's advice; the banner gives the window's


def test_a_signal_closes_a_window_that_launched_a_run_without_asking_and_leaves_the_run_training(
    qtbot, make_window, tmp_path, monkeypatch
):
    """A logout's or a scheduler's SIGTERM met the question "Stop it, or leave it training?", which nobody was there to
    answer: the window stayed up until it was killed."""
    w = _watching_a_launch(qtbot, make_window, tmp_path, monkeypatch, BEATS_UNTIL_TOLD)
    monkeypatch.setattr(w.launcher, "ask", lambda: pytest.fail("a signal's close asked a question"))
    child = w.launcher.process
    try:
        w.close_unattended()
        assert not w.isVisible()
        assert child.poll() is None  # left training, as closing a watching window leaves its run
    finally:
        child.stdin.close()
        child.wait(timeout=30)


GONE_FAILS = """
import shutil, sys
from ganstudio.core.control import FolderBridge
shutil.copy(sys.argv[1], sys.argv[2] + "/config.json")
bridge = FolderBridge(sys.argv[2])
bridge.state = "running"
bridge.beat()
sys.stdin.read()
print("ganstudio: error: the run folder " + sys.argv[2] + " is gone (removed or moved while the run trained); it was "
      "not made again", file=sys.stderr)
sys.exit(2)
"""


def test_a_launched_run_whose_folder_went_away_says_its_processes_ended(qtbot, make_window, tmp_path, monkeypatch):
    """The banner said "put it back to follow the run" for good, though the window had reaped the processes, which
    had said in one line why they ended."""
    w = _watching_a_launch(qtbot, make_window, tmp_path, monkeypatch, GONE_FAILS)
    run, child = w.launcher.run.path, w.launcher.process
    try:
        run.rename(tmp_path / "away")
        qtbot.waitUntil(lambda: "put it back to follow the run" in w.banner.message.text(), timeout=30000)
    finally:
        child.stdin.close()  # it ends, as the run's processes do once their folder is gone
    qtbot.waitUntil(lambda: "the processes that trained it have ended" in w.banner.message.text(), timeout=30000)
    assert f"the run folder {run} is gone (removed or moved while the run trained)" in w.banner.message.text()
