"""Start from the window a run on many processes, and watch it through its run folder.

With Processes > 1 the window does not train in its own thread: it starts `ganstudio train --nproc N`
as a child process (which starts torchrun, which starts the ranks) and follows the run folder in
watch mode, as it would follow a run started anywhere else. Closing the window asks whether to stop
the run (through its control file: a checkpoint is saved) or to leave it training on its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from ganstudio.core.config import RunConfig
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.gui.run_files import new_run_folder
from ganstudio.gui.run_phase import RunPhase

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow

POLL_MS = 250
START_TIMEOUT_MS = 180_000  # torch imports in N fresh processes, and the dataset loads, before config.json
ERROR_PREFIX = "ganstudio: error: "
STOP_WAIT_S = 60.0  # closing with "stop": the checkpoint is saved within this, or the run ends on its own


class DistributedLaunch(QObject):
    _child_ended = Signal(str, str)  # the run's folder and the child's stderr file, from the thread that reaps it

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.process: subprocess.Popen[bytes] | None = None
        self.run: RunDirectory | None = None
        self._config_file: str | None = None
        self._error_file: str | None = None  # the child's stderr: why it did not start, or how its processes ended
        self._cancelled = False
        self._launched_at = 0.0  # time.time() at the child's start: a heartbeat since then is its rank 0's
        self._waited_ms = 0
        self._stop_wait: QEventLoop | None = None  # while closing waits for the processes to stop
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._watch_when_ready)
        self._child_ended.connect(self._say_why_the_child_ended, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, config: RunConfig, continuing: RunDirectory | None, runs_root: str) -> bool:
        """Starts the child; the window watches the folder once rank 0 has written config.json. One child
        at a time: a second group would train another folder, and the window would lose the first."""
        w = self.window
        if self.running:
            w.statusBar().showMessage("A run is already starting or training in processes of its own", 8000)
            return False
        try:
            if continuing is not None:
                run = continuing
                command = ["--resume", str(run.path), "--steps", str(config.train.steps)]
                command += ["--device", config.train.device]  # checked against the GPUs before torchrun starts
                for assignment in w.files.resume_overrides(config, "perf.processes"):  # --nproc says it
                    command += ["--set", assignment]
            else:
                run = new_run_folder(config, runs_root)
                fd, self._config_file = tempfile.mkstemp(prefix="ganstudio-config-", suffix=".json")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(config.to_json())
                command = ["--config", self._config_file, "--out", str(run.path)]
        except (OSError, RunError) as exc:
            w.errors.show("Cannot start the run", str(exc))
            return False
        self.run = run
        args = [sys.executable, "-m", "ganstudio", "train", "--nproc", str(config.perf.processes), *command]
        self._forget_error_file()
        with tempfile.NamedTemporaryFile(prefix="ganstudio-launch-", suffix=".log", delete=False) as errors:
            self._error_file = errors.name
            # a session of its own: Ctrl-C or a hangup in the window's terminal closes the window, which then leaves
            # the run training (README), rather than reaching the run's processes too
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        # Reaped as it ends: once the window watches the folder nothing polls the child, which stayed a zombie
        # until the next launch. poll() meanwhile says it runs (the waiting thread holds Popen's wait lock).
        threading.Thread(
            target=self._reap,
            args=(self.process, str(run.path), self._error_file),
            name="ganstudio-launch-reaper",
            daemon=True,
        ).start()
        self._waited_ms = 0
        self._cancelled = False
        self._launched_at = time.time()
        w.set_phase(RunPhase.STARTING)
        w.statusBar().showMessage(f"Starting {config.perf.processes} processes through torchrun in {run.path.name}...")
        self._timer.start()
        return True

    def _watch_when_ready(self) -> None:
        """A heartbeat written since the launch means rank 0 holds the folder and the run is there to watch;
        a child that ended first failed. Not config.json: a continued run's is there before the launch, as
        may be the last writer's heartbeat, which would say that run ended."""
        assert self.run is not None and self.process is not None
        self._waited_ms += POLL_MS
        from ganstudio.core.control import read_heartbeat

        beat = read_heartbeat(self.run.path)
        if beat is not None and beat.time >= self._launched_at:
            self._timer.stop()
            self._forget_config_file()
            self.window.set_phase(RunPhase.IDLE)  # watching starts from idle, as for a run started elsewhere
            self.window.statusBar().clearMessage()  # "Starting..." stayed while the run trained
            self.window.files.watch_run(self.run.path)
            if self.process.poll() is not None and self._error_file is not None:  # it ended while the timer waited
                self._say_why_the_child_ended(str(self.run.path), self._error_file)
        elif self.process.poll() is not None or self._waited_ms > START_TIMEOUT_MS:
            self._timer.stop()
            self._forget_config_file()
            self.run.remove_if_empty()  # the folder this window made for a run that never began
            self.window.set_phase(RunPhase.IDLE)
            if self._cancelled:
                self.window.statusBar().showMessage("Start cancelled", 8000)
                return
            reason = _last_error_line(self._error_file) if self._error_file is not None else ""
            self.window.statusBar().showMessage("The run did not start", 8000)  # not "Starting..." under the dialog
            self.window.errors.show(
                "The run did not start",
                reason
                or f"`ganstudio train --nproc` ended with status {self.process.poll()} before writing "
                f"{self.run.path}; run it in a terminal to see why",
            )
            self.window.files.follow_its_holder()  # a Continue another window's run took the lock from

    def _reap(self, process: subprocess.Popen[bytes], folder: str, error_file: str) -> None:
        process.wait()
        with contextlib.suppress(RuntimeError):  # the window, and this launcher with it, closed first
            self._child_ended.emit(folder, error_file)

    @Slot(str, str)
    def _say_why_the_child_ended(self, folder: str, error_file: str) -> None:
        """Which rank a signal killed is known to the launcher alone (torchrun tells it); the run's folder says
        only that another process went. Said in the watched run's banner; a child that ended before the window
        watched its run is said by _watch_when_ready."""
        if self._timer.isActive():
            return
        line = _last_error_line(error_file)
        if line.startswith(ERROR_PREFIX):
            self.window.watch.launcher_said(Path(folder), line.removeprefix(ERROR_PREFIX))

    @property
    def starting(self) -> bool:
        """The child runs, and the window does not watch its folder yet."""
        return self.running and self._timer.isActive()

    def cancel(self) -> None:
        """Stop while starting: the child passes the interrupt on to torchrun, whose ranks end."""
        if self.starting:
            assert self.process is not None
            self._cancelled = True
            self.process.send_signal(signal.SIGINT)

    def _forget_error_file(self) -> None:
        if self._error_file is not None:
            with contextlib.suppress(OSError):  # Windows keeps a file a child holds open
                Path(self._error_file).unlink(missing_ok=True)
            self._error_file = None

    def _forget_config_file(self) -> None:
        if self._config_file is not None:
            Path(self._config_file).unlink(missing_ok=True)
            self._config_file = None

    def ask(self) -> str:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "A run is training",
            f"The run in {self.run.path if self.run else ''} trains in processes of its own.\n"
            "Stop it (a checkpoint is saved), or leave it training? A window can watch it again "
            "later with File > Watch run folder.",
            parent=self.window,
        )
        stop = box.addButton("Stop the run", QMessageBox.ButtonRole.DestructiveRole)
        leave = box.addButton("Leave it training", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return "stop" if box.clickedButton() is stop else "leave" if box.clickedButton() is leave else "cancel"

    def may_close(self, ask: Callable[[], str] | None = None) -> bool:
        """Whether the window may close: always with no child running; else as the user answers."""
        if self._stop_wait is not None:  # closed again (a second Ctrl-C) while waiting: the first close goes on
            self._stop_wait.quit()
            return False
        answer = (ask or self.ask)() if self.running else "leave"
        if answer == "cancel":
            return False
        if answer == "stop":
            self._stop()
            self._wait_for_stop()
        self._forget_error_file()  # nobody reads it once the window is gone; a child still writing keeps its handle
        return True

    def _stop(self) -> None:
        """Through the control file once the run reads it; before that (still starting: its reader would take
        the stop for an old command), or when the file cannot be written, the child is interrupted as Ctrl-C
        would, which saves a checkpoint too once training has begun."""
        assert self.run is not None and self.process is not None
        if not self.starting:
            from ganstudio.core.control import append_command

            try:
                append_command(self.run.path, "stop")
                return
            except OSError:
                pass
        self.process.send_signal(signal.SIGINT)

    def _wait_for_stop(self) -> None:
        """Waits (at most STOP_WAIT_S) for the processes to save and end, with the window still drawn and
        a button to close at once: the stop is in the control file, so the run saves and ends on its own."""
        assert self.process is not None
        process = self.process
        if process.poll() is not None:
            return
        loop = self._stop_wait = QEventLoop()
        dialog = QProgressDialog(
            "Saving a checkpoint and stopping the run's processes...", "Close now", 0, 0, self.window
        )
        dialog.setObjectName("stopWaitDialog")
        dialog.setWindowTitle("Stopping the run")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(loop.quit)
        poll = QTimer(loop, interval=POLL_MS)

        def quit_when_ended() -> None:
            if process.poll() is not None:
                loop.quit()

        poll.timeout.connect(quit_when_ended)
        deadline = QTimer(loop, interval=int(STOP_WAIT_S * 1000), singleShot=True)
        deadline.timeout.connect(loop.quit)
        poll.start()
        deadline.start()
        dialog.show()
        loop.exec()
        self._stop_wait = None
        poll.stop()
        deadline.stop()
        loop.deleteLater()  # quit_when_ended holds the loop through its own child's connection: a cycle
        dialog.close()
        dialog.deleteLater()


def _last_error_line(error_file: str) -> str:
    """The last `ganstudio:` line the child printed: why it refused, or how its processes ended, in one line."""
    try:
        lines = Path(error_file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line for line in reversed(lines) if line.startswith("ganstudio:")), "")
