"""One process at a time trains a run folder: RUN/lock.json names it, and is taken over once it has died.

Two processes training one folder interleave their steps in metrics.jsonl and overwrite each other's
checkpoints, so the second one is refused with who holds the folder (pid, host, since when).

lock.json is created with O_CREAT|O_EXCL and, where fcntl exists, its holder keeps an flock on it. The
flock is what decides on one machine: the kernel drops it when the holder dies, even by kill -9, so a
live holder is never taken for a dead one (nor a dead one for live, whatever its pid became), and two
processes that find the same stale lock cannot both take it over, since only one gets the flock. The
file's JSON says who holds it, for the message, and decides what an flock cannot see:

- same host: stale when its pid is gone, or is now another process (Linux: another boot id or start
  time in /proc; elsewhere the pid alone);
- another host (a shared or network folder): stale when the file's mtime, which a thread of the holder
  touches every HEARTBEAT_S seconds, is older than STALE_AFTER_S. The heartbeat is a thread rather than
  a step of training, so a paused run or a minute-long evaluation still counts as alive. The margin
  also covers network filesystems' attribute caches and clocks a minute apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import threading
import time
import uuid
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path

from ganstudio import __version__
from ganstudio.core.process_state import is_pid, no_such_process, proc_stat_fields
from ganstudio.core.run_file import read_run_file
from ganstudio.core.runlog import RunError
from ganstudio.core.user_errors import io_reason, not_writable
from ganstudio.core.wording import run_folder_gone

try:
    import fcntl
except ImportError:  # Windows: the JSON rules alone
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "lock.json"
HEARTBEAT_S = 10.0
STALE_AFTER_S = 120.0
CREATING_GRACE_S = 10.0  # an empty lock file this young is a holder between creating and writing it
MAX_LOCK_BYTES = 4096
_ATTEMPTS = 5  # a lock released while we looked at it: look again, a few times
LOOKER_WAIT_S = 5.0  # how long the flock of a lock file we just created may be held by one looking at it


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started: str  # ISO 8601, UTC
    process: str | None  # boot id and start time of pid (Linux), so a recycled pid is not taken for the holder
    version: str
    token: str  # tells this holder's file from a later one with the same pid

    @classmethod
    def this_process(cls) -> Holder:
        return cls(
            os.getpid(),
            socket.gethostname(),
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            process_identity(os.getpid()),
            __version__,
            uuid.uuid4().hex,
        )

    @classmethod
    def parse(cls, data: bytes) -> Holder | None:
        """None for an empty or garbled file: whoever wrote it is not known."""
        try:
            raw = json.loads(data.decode("utf-8"))
            holder = cls(**{name: raw.get(name) for name in cls.__dataclass_fields__})
        except (ValueError, TypeError, AttributeError, RecursionError):  # RecursionError: "[[[[..." planted
            return None
        ok = is_pid(holder.pid) and all(
            isinstance(getattr(holder, name), str) for name in ("host", "started", "version", "token")
        )
        return holder if ok else None

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self), indent=2) + "\n").encode("utf-8")

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.started.replace('T', ' ').replace('Z', ' UTC')}"


def process_identity(pid: int) -> str | None:
    """Boot id and start time (clock ticks since boot): together they name one process for ever."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        fields = proc_stat_fields(pid)
    except OSError:
        return None
    return f"{boot}:{fields[19]}" if len(fields) > 19 else None


def _alive_here(holder: Holder) -> bool:
    if no_such_process(holder.pid):
        return False
    if holder.process is None:
        return True
    now = process_identity(holder.pid)
    return now is None or now == holder.process


def _stale(holder: Holder | None, age: float) -> bool:
    if holder is None:
        return age > CREATING_GRACE_S
    if holder.host == socket.gethostname():
        return not _alive_here(holder)
    return age > STALE_AFTER_S


def _flock_says_gone(holder: Holder | None) -> bool:
    """Called with the flock taken: a holder on this machine keeps it for as long as it trains, so it is gone,
    whatever its pid now names (recycled, or alive where no /proc tells one process from another)."""
    return fcntl is not None and holder is not None and holder.host == socket.gethostname()


def _live(folder: str | Path) -> tuple[Holder, float] | None:
    path = Path(folder) / LOCK_NAME
    try:
        age = max(0.0, time.time() - path.lstat().st_mtime)
        holder = Holder.parse(read_run_file(path, MAX_LOCK_BYTES))
    except OSError:
        return None
    return None if holder is None or _stale(holder, age) else (holder, age)


def live_holder(folder: str | Path) -> Holder | None:
    """The process training folder now, as its lock.json says, read without taking the lock or making the
    file; None when nobody holds it (no file, a stale one, or one that is not a lock)."""
    live = _live(folder)
    return None if live is None else live[0]


def why_held(folder: str | Path) -> str | None:
    """What acquire() would refuse folder with now, said before anything is given up for it (a window
    watching the run); None when nobody holds it."""
    live = _live(folder)
    return None if live is None else str(_refusal(Path(folder), *live))


def _refusal(folder: Path, holder: Holder | None, age: float) -> RunError:
    if holder is None:
        return RunError(
            f"{folder} is being locked for training by another process right now "
            f"({folder / LOCK_NAME}); try again in a moment"
        )
    who = "another process"
    if (holder.pid, holder.host) == (os.getpid(), socket.gethostname()):
        who = "another run in this process"
    where = ""
    if holder.host != socket.gethostname():
        where = (
            f"; if that process is gone, its lock is taken over {STALE_AFTER_S:.0f} s after its last "
            f"heartbeat ({age:.0f} s ago)"
        )
    return RunError(
        f"{folder} is being trained by {who} ({holder.describe()}); stop it or wait for "
        f"it to finish, then try again{where}"
    )


def _read(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, MAX_LOCK_BYTES)


def _write(fd: int, data: bytes) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    os.fsync(fd)


def _flock(fd: int, wait: bool) -> bool:
    """Waits, when asked, LOOKER_WAIT_S at most: a looker that stalls with the flock (SIGSTOP, a hung
    network stat) must not hang the run that wants the folder."""
    if fcntl is None:
        return True
    deadline = time.monotonic() + (LOOKER_WAIT_S if wait else 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        else:
            return True


def _same_file(fd: int, path: Path) -> bool:
    """False when the file we opened was released (unlinked) and perhaps replaced meanwhile."""
    try:
        mine, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino)


def _open(path: Path) -> tuple[int, bool]:
    """The lock file, and whether this call created it (O_EXCL: of two callers, only one does). A link,
    symbolic or hard, and a pipe or device are refused: something planted as lock.json must not decide
    what the lock writes over, nor leave it reading a pipe."""
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # a pipe must not hold up even the open
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | nonblocking
    try:
        fd, created = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644), True
    except FileExistsError:
        if path.is_symlink():
            raise NotALockFile(f"{path} is a link") from None
        fd, created = os.open(path, flags), False
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise NotALockFile(
            f"{path} is not a regular file" if not stat.S_ISREG(info.st_mode) else f"{path} is a hard link"
        )
    if nonblocking:
        os.set_blocking(fd, True)
    return fd, created


class NotALockFile(RunError):
    """Something other than a file stands where lock.json goes."""


class _State:
    """What release needs, apart from the RunLock, so that a finalizer can run it after the lock is gone."""

    def __init__(self, fd: int, path: Path, token: str):
        self.fd: int | None = fd
        self.path = path
        self.token = token
        self.stop = threading.Event()
        self.beat: threading.Thread | None = None
        self.found: tuple[bytes, int, int] | None = None  # a stale lock taken over: its bytes, atime and mtime
        self.put_back = False  # release writes `found` back instead of removing the file
        # the folder's atime and mtime before lock.json was made, and its entries just after: the times are put back
        # only when the entries are still those (nothing added, removed or replaced meanwhile). Entries, not the
        # mtime: a coarse clock (older kernels, NFS) gives a change in the same tick the same mtime
        self.folder_times: tuple[int, int] | None = None
        self.folder_entries: dict[str, int] | None = None


def _entries(folder: Path) -> dict[str, int]:
    """The folder's names and their inodes: a file replaced under its own name (an atomic write) counts too."""
    with os.scandir(folder) as entries:
        return {entry.name: entry.inode() for entry in entries}


def _utime_target(fd: int | None, path: Path) -> int | Path:
    """The open file where os.utime takes a descriptor (not on Windows), else its path."""
    return fd if fd is not None and os.utime in os.supports_fd else path


def _heartbeat(state: _State) -> None:
    target = _utime_target(state.fd, state.path)
    while not state.stop.wait(HEARTBEAT_S):
        try:
            os.utime(target)
        except OSError:
            pass  # a vanished network folder: training will say so itself


def _release(state: _State) -> None:
    state.stop.set()
    if state.beat is not None and state.beat is not threading.current_thread():
        state.beat.join(timeout=5)  # the heartbeat touches fd: it must be done before fd is closed
    fd, state.fd = state.fd, None
    if fd is None:
        return
    try:
        holder = Holder.parse(_read(fd))
        if _same_file(fd, state.path) and holder is not None and holder.token == state.token:
            if state.put_back and state.found is not None:
                data, atime, mtime = state.found
                _write(fd, data)
                os.utime(_utime_target(fd, state.path), ns=(atime, mtime))  # its age says it is stale elsewhere
            else:
                untouched = state.put_back and state.folder_entries == _entries(state.path.parent)
                state.path.unlink()  # before the flock goes, so nobody takes a lock that is then deleted
                if untouched and state.folder_times is not None:  # as found, to the folder's own time
                    os.utime(state.path.parent, ns=state.folder_times)
    except OSError:
        pass  # a lock that cannot be removed is stale once we are gone
    finally:
        os.close(fd)


def _unwritable(folder: Path, exc: OSError) -> str:
    """Why the lock file could not be written, in the words of the folder: "cannot lock ... Operation not
    permitted" left a user asking what a lock was."""
    if not_writable(exc):
        return f"cannot train in {folder}: the folder cannot be written to ({exc.strerror})"
    return f"cannot train in {folder}: {io_reason(exc)}"


class RunLock:
    """Held while this process trains one run folder; released by close(), when dropped, and at exit."""

    def __init__(self, state: _State, holder: Holder):
        self.path = state.path
        self.holder = holder
        self._state = state
        self._finalize = weakref.finalize(self, _release, state)
        state.beat = threading.Thread(target=_heartbeat, args=(state,), name="run-lock-heartbeat", daemon=True)
        state.beat.start()

    @classmethod
    def acquire(cls, folder: str | Path) -> RunLock:
        """Raises RunError naming the holder when another live process trains folder; writes nothing then."""
        folder = Path(folder)
        path = folder / LOCK_NAME
        me = Holder.this_process()
        for _ in range(_ATTEMPTS):
            try:
                seen = os.stat(folder)
                fd, created = _open(path)
            except FileNotFoundError:
                if folder.is_dir():
                    continue  # released between the two opens
                if not folder.exists():
                    raise RunError(f"cannot lock for training: {run_folder_gone(folder)}") from None
                raise RunError(f"cannot lock {folder} for training: it is not a folder") from None
            except NotALockFile as exc:
                raise RunError(f"cannot lock {folder} for training: {exc}; remove it and try again") from None
            except OSError as exc:
                raise RunError(_unwritable(folder, exc)) from None
            state = _State(fd, path, me.token)
            if created:
                with contextlib.suppress(OSError):
                    state.folder_entries = _entries(folder)
                    state.folder_times = (seen.st_atime_ns, seen.st_mtime_ns)
            try:
                taken = cls._take(state, me, created)
            except BaseException:
                os.close(fd)
                raise
            if taken:
                return cls(state, me)
            os.close(fd)
        raise RunError(f"cannot lock {folder} for training: its {LOCK_NAME} keeps changing; try again")

    @staticmethod
    def _take(state: _State, me: Holder, created: bool) -> bool:
        """True once the state's fd is ours (a stale lock's bytes and times kept in state.found); False to look
        again; RunError when a live process holds it."""
        fd, path = state.fd, state.path
        assert fd is not None
        # Whoever holds the flock of a file we just created is only looking at it, and lets go at once
        locked = _flock(fd, wait=created)
        if not _same_file(fd, path):
            return False
        found, info = _read(fd), os.fstat(fd)
        holder = Holder.parse(found)
        age = max(0.0, time.time() - info.st_mtime)
        if not locked:
            if created:  # a looker stalled with the flock of our empty file: leave no file that looks held
                path.unlink(missing_ok=True)
            raise _refusal(path.parent, holder, age)
        if not created and not (_flock_says_gone(holder) or _stale(holder, age)):
            raise _refusal(path.parent, holder, age)
        if not created:
            state.found = (found, info.st_atime_ns, info.st_mtime_ns)
        try:
            _write(fd, me.to_bytes())
        except OSError as exc:
            if created:
                path.unlink(missing_ok=True)
            raise RunError(_unwritable(path.parent, exc)) from None
        # Without an flock between them, two machines may take over one stale lock at once: the later write wins
        try:
            return Holder.parse(path.read_bytes()) == me
        except OSError:
            return False

    @property
    def held(self) -> bool:
        return self._finalize.alive

    def close(self) -> None:
        """Idempotent: a session closed twice, or closed and then dropped, releases once."""
        self._finalize()

    def put_back(self) -> None:
        """Releases the folder as it was found: a stale lock.json taken over (a writer killed) is written back
        rather than removed, since a refused command leaves the folder as it was."""
        self._state.put_back = True
        self._finalize()
