"""A watched run's writer on this machine, looked at through its process: running, stopped or gone."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ganstudio.core.control import Heartbeat
from ganstudio.core.process_state import WriterProcess, process_state, writer_here

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="a process's state is read from /proc")


def _wait_for(pid: int, state: WriterProcess) -> WriterProcess | None:
    deadline = time.monotonic() + 10
    while process_state(pid) is not state and time.monotonic() < deadline:
        time.sleep(0.02)
    return process_state(pid)


def test_a_process_is_running_then_stopped_then_running_then_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_state(child.pid) is WriterProcess.RUNNING
        os.kill(child.pid, signal.SIGSTOP)
        assert _wait_for(child.pid, WriterProcess.STOPPED) is WriterProcess.STOPPED
        os.kill(child.pid, signal.SIGCONT)
        assert _wait_for(child.pid, WriterProcess.RUNNING) is WriterProcess.RUNNING
        child.kill()
        assert _wait_for(child.pid, WriterProcess.GONE) is WriterProcess.GONE  # a zombie until it is reaped
        child.wait(timeout=10)
        assert process_state(child.pid) is WriterProcess.GONE
    finally:
        child.kill()
        child.wait(timeout=10)


def test_a_writer_on_another_machine_is_not_looked_at_here():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=10)
    here = Heartbeat(child.pid, socket.gethostname(), 1, "running", time.time())
    elsewhere = Heartbeat(child.pid, socket.gethostname() + "-elsewhere", 1, "running", time.time())
    assert writer_here(here) is WriterProcess.GONE
    assert writer_here(elsewhere) is None
