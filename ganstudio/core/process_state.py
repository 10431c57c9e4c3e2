"""What a watching window can know at once about a run's writer on its own machine: whether its process
still runs, is stopped, or is gone. A writer on another machine is known only by its heartbeat."""

from __future__ import annotations

import os
import socket
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from ganstudio.core.control import Heartbeat


class WriterProcess(Enum):
    RUNNING = "running"
    STOPPED = "stopped"  # SIGSTOP, Ctrl+Z, a debugger: it carries on once continued
    GONE = "gone"  # exited, killed or crashed (a zombie too: it has ended, nobody has reaped it yet)


MAX_PID = 2**31 - 1  # pid_t is a signed 32-bit integer; os.kill overflows past it


def is_pid(value: object) -> TypeGuard[int]:
    """A process id a file may name: a larger one made os.kill raise OverflowError, and 0 or -1 signal a
    process group or every process, never one process."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_PID


def proc_stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (the process state first); raises OSError."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses


def process_state(pid: int) -> WriterProcess | None:
    """None where this system cannot say (no /proc, another user's process on a system without one)."""
    try:
        fields = proc_stat_fields(pid)
    except FileNotFoundError:
        return WriterProcess.GONE if no_such_process(pid) else None
    except OSError:
        return None
    state = fields[0] if fields else ""
    if state in ("Z", "X", "x"):
        return WriterProcess.GONE
    if state in ("T", "t"):
        return WriterProcess.STOPPED
    return WriterProcess.RUNNING


def no_such_process(pid: int) -> bool:
    """True only when this machine says no process has this pid (False when it cannot say)."""
    if os.name != "posix" or pid <= 0:
        return False  # os.kill would end the process on Windows; pid 0 and below name groups
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def writer_here(beat: Heartbeat) -> WriterProcess | None:
    """The state of the process that wrote beat, when it ran on this machine; None for another machine's."""
    if beat.host != socket.gethostname():
        return None
    return process_state(beat.pid)
