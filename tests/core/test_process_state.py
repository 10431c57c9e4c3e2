"""A watched run's writer on this machine, looked at through its process: running, stopped or gone."""

import os
import signal
import socket
import time

import pytest

from ganstudio.core.control import Heartbeat
from ganstudio.core.process_state import WriterProcess, process_state, writer_here
from tests.conftest import exited_within, idle_process

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="a process's state is read from /proc")


def test_a_process_is_running_then_stopped_then_running_then_gone():
    child = idle_process()
    try:
        assert process_state(child.pid) is WriterProcess.RUNNING
        os.kill(child.pid, signal.SIGSTOP)
        os.waitpid(child.pid, os.WUNTRACED)  # returns once the kernel has stopped it
        assert process_state(child.pid) is WriterProcess.STOPPED
        os.kill(child.pid, signal.SIGCONT)
        os.waitpid(child.pid, os.WCONTINUED)  # returns once it runs again
        assert process_state(child.pid) is WriterProcess.RUNNING
        child.kill()
        assert exited_within(child.pid, 10)  # a zombie now: ended, not reaped
        assert process_state(child.pid) is WriterProcess.GONE
        child.wait(timeout=10)
        assert process_state(child.pid) is WriterProcess.GONE
    finally:
        child.kill()
        child.wait(timeout=10)


def test_a_writer_on_another_machine_is_not_looked_at_here():
    child = idle_process()
    child.kill()
    child.wait(timeout=10)
    here = Heartbeat(child.pid, socket.gethostname(), 1, "running", time.time())
    elsewhere = Heartbeat(child.pid, socket.gethostname() + "-elsewhere", 1, "running", time.time())
    assert writer_here(here) is WriterProcess.GONE
    assert writer_here(elsewhere) is None
