"""The run folder's lock in one process: who is refused, what counts as stale, and that close() lets go."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from ganstudio.core import run_lock
from ganstudio.core.run_lock import LOCK_NAME, STALE_AFTER_S, Holder, RunLock, process_identity
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.session import TrainingSession
from tests.conftest import tiny_toy_config, trained_run


def write_lock(folder, **fields):
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": "2026-01-02T03:04:05Z",
        "process": process_identity(os.getpid()),
        "version": "0.0.1",
        "token": "theirs",
        **fields,
    }
    (folder / LOCK_NAME).write_text(json.dumps(holder))
    return holder


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_lock_is_refused_with_who_holds_it_and_close_lets_go(tmp_path):
    lock = RunLock.acquire(tmp_path)
    held = (tmp_path / LOCK_NAME).read_bytes()
    assert json.loads(held)["pid"] == os.getpid()
    with pytest.raises(RunError, match=rf"pid {os.getpid()} on {socket.gethostname()} since \d{{4}}-"):
        RunLock.acquire(tmp_path)
    assert (tmp_path / LOCK_NAME).read_bytes() == held  # refused: nothing written
    lock.close()
    lock.close()
    assert not (tmp_path / LOCK_NAME).exists() and not lock.held
    RunLock.acquire(tmp_path).close()


def test_a_dropped_lock_is_released(tmp_path):
    RunLock.acquire(tmp_path)  # no reference kept: its finalizer runs at once
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    write_lock(tmp_path, pid=dead_pid(), process=None)
    lock = RunLock.acquire(tmp_path)
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    lock.close()


@pytest.mark.skipif(process_identity(os.getpid()) is None, reason="needs /proc to tell a recycled pid")
def test_a_recycled_pid_does_not_keep_a_folder_locked(tmp_path):
    write_lock(tmp_path, process="another-boot:12345")  # this process's pid, but not this process
    RunLock.acquire(tmp_path).close()


@pytest.mark.skipif(run_lock.fcntl is None, reason="flock is POSIX")
def test_a_live_holders_flock_wins_over_what_its_file_says(tmp_path):
    import fcntl

    write_lock(tmp_path, pid=dead_pid(), process=None, token="forged")
    with open(tmp_path / LOCK_NAME) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(RunError, match="being trained by another process"):
            RunLock.acquire(tmp_path)


def test_another_hosts_lock_holds_while_its_heartbeat_is_fresh(tmp_path):
    write_lock(tmp_path, host="elsewhere.example", pid=1)
    with pytest.raises(RunError, match=r"pid 1 on elsewhere.example .*taken over 120 s after its last heartbeat"):
        RunLock.acquire(tmp_path)
    old = time.time() - STALE_AFTER_S - 5
    os.utime(tmp_path / LOCK_NAME, (old, old))
    lock = RunLock.acquire(tmp_path)
    assert json.loads((tmp_path / LOCK_NAME).read_text())["host"] == socket.gethostname()
    lock.close()


def test_an_empty_lock_file_is_a_holder_writing_it_until_it_is_old(tmp_path):
    (tmp_path / LOCK_NAME).write_bytes(b"")
    with pytest.raises(RunError, match="right now"):
        RunLock.acquire(tmp_path)
    old = time.time() - run_lock.CREATING_GRACE_S - 5
    os.utime(tmp_path / LOCK_NAME, (old, old))
    RunLock.acquire(tmp_path).close()


def test_garbled_lock_json_is_not_a_holder():
    assert Holder.parse(b'{"pid": "7", "host": 3}') is None
    assert Holder.parse(b"\xff not json") is None
    assert Holder.parse(b"[1, 2]") is None


@pytest.mark.parametrize("pid", [2**31, 10**400, 0, -1, True], ids=["2**31", "10**400", "0", "-1", "true"])
def test_a_pid_no_process_can_have_is_no_holder_and_no_crash(tmp_path, pid):
    """2**31 made os.kill raise OverflowError (an internal error where a refusal was due); 0 and -1 name
    process groups, which os.kill(pid, 0) found alive, so the folder was refused for good."""
    holder = write_lock(tmp_path, pid=pid)
    assert Holder.parse(json.dumps(holder).encode()) is None
    assert run_lock.live_holder(tmp_path) is None and run_lock.why_held(tmp_path) is None
    old = time.time() - run_lock.CREATING_GRACE_S - 5
    os.utime(tmp_path / LOCK_NAME, (old, old))
    RunLock.acquire(tmp_path).close()


@pytest.mark.skipif(run_lock.fcntl is None, reason="flock is POSIX")
def test_on_this_machine_a_free_flock_means_the_holder_is_gone_whatever_its_pid_names(tmp_path):
    """A lock naming a live process with no process identity (no /proc: macOS, a hidepid mount) was refused
    for as long as that pid lived, though nobody held the flock a training process keeps."""
    write_lock(tmp_path, pid=os.getppid(), process=None)
    lock = RunLock.acquire(tmp_path)
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    with pytest.raises(RunError, match="being trained by another run in this process"):
        RunLock.acquire(tmp_path)  # a live holder on this machine keeps its flock: still refused
    lock.close()


def test_a_session_holds_its_folder_until_closed(tmp_path):
    folder = tmp_path / "run"
    session = trained_run(tiny_toy_config(steps=2, checkpoint_every=2), folder, close=False)
    metrics = (folder / "metrics.jsonl").read_bytes()
    with pytest.raises(RunError, match=f"pid {os.getpid()}"):
        TrainingSession.resume(RunDirectory.open(folder), total_steps=4)
    with pytest.raises(RunError, match=f"pid {os.getpid()}"):
        TrainingSession.restart(RunDirectory.open(folder))
    assert (folder / "metrics.jsonl").read_bytes() == metrics
    session.close()
    session.close()
    assert not (folder / LOCK_NAME).exists()
    resumed = TrainingSession.resume(RunDirectory.open(folder), total_steps=4)
    assert (folder / LOCK_NAME).exists()
    resumed.close()
    assert not (folder / LOCK_NAME).exists()


def test_a_refused_resume_releases_the_lock_it_took(tmp_path):
    folder = tmp_path / "run"
    TrainingSession.start(tiny_toy_config(steps=2), RunDirectory.at(folder)).close()
    with pytest.raises(RunError, match="no checkpoint yet"):
        TrainingSession.resume(RunDirectory.open(folder))
    assert not (folder / LOCK_NAME).exists()


@pytest.mark.parametrize("refused", ["resume", "restart"])
def test_a_refused_resume_leaves_a_killed_writers_lock_as_it_found_it(tmp_path, refused):
    """A run killed with kill -9 leaves its lock.json; a resume refused on that folder took the file away."""
    folder = tmp_path / "run"
    TrainingSession.start(tiny_toy_config(steps=2), RunDirectory.at(folder)).close()
    write_lock(folder, pid=dead_pid(), process=None)
    lock = folder / LOCK_NAME
    os.utime(lock, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = lock.read_bytes(), lock.stat().st_mtime_ns
    with pytest.raises(RunError, match=r"no checkpoint yet|not valid JSON"):
        if refused == "resume":
            TrainingSession.resume(RunDirectory.open(folder))
        else:
            (folder / "config.json").write_text("{")
            TrainingSession.restart(RunDirectory.open(folder))
    assert (lock.read_bytes(), lock.stat().st_mtime_ns) == before
    RunLock.acquire(folder).close()  # still stale: taken over as before
    assert not lock.exists()


def test_the_heartbeat_touches_the_lock_file(tmp_path):
    """What keeps another host from taking over a live run's lock; one beat, run in this thread."""
    import threading

    class OneBeat(threading.Event):
        waits = 0

        def wait(self, timeout=None):
            self.waits += 1
            return self.waits > 1

    path = tmp_path / LOCK_NAME
    path.write_text("{}")
    old = time.time() - STALE_AFTER_S - 5
    os.utime(path, (old, old))
    fd = os.open(path, os.O_RDWR)
    try:
        state = run_lock._State(fd, path, "mine")
        state.stop = OneBeat()
        run_lock._heartbeat(state)
    finally:
        os.close(fd)
    assert time.time() - path.stat().st_mtime < STALE_AFTER_S


def test_a_link_or_pipe_planted_as_lock_json_is_refused_and_never_written_through(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("mine")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / LOCK_NAME).symlink_to(outside)
    with pytest.raises(RunError, match=r"lock\.json is a link; remove it"):
        RunLock.acquire(linked)
    assert outside.read_text() == "mine" and (linked / LOCK_NAME).is_symlink()
    piped = tmp_path / "piped"
    piped.mkdir()
    os.mkfifo(piped / LOCK_NAME)
    with pytest.raises(RunError, match=r"lock\.json is not a regular file; remove it"):
        RunLock.acquire(piped)
    (piped / LOCK_NAME).unlink()
    RunLock.acquire(piped).close()
    hard = tmp_path / "hard"
    hard.mkdir()
    os.link(outside, hard / LOCK_NAME)  # a stale-looking lock whose takeover would truncate precious.txt
    with pytest.raises(RunError, match=r"lock\.json is a hard link; remove it"):
        RunLock.acquire(hard)
    assert outside.read_text() == "mine"


@pytest.mark.skipif(run_lock.fcntl is None, reason="flock is POSIX")
def test_a_looker_stalled_with_the_flock_of_a_new_lock_file_is_waited_for_a_bounded_time(tmp_path, monkeypatch):
    """The flock of a lock file just created was taken with a wait that had no bound: a process that
    flocked it to look and then stalled (SIGSTOP, a hung network stat) hung the run wanting the folder."""
    import fcntl
    import threading

    monkeypatch.setattr(run_lock, "LOOKER_WAIT_S", 0.05)
    lookers = []
    real_open = run_lock._open

    def open_then_stall_a_looker(path):
        fd, created = real_open(path)
        looker = os.open(path, os.O_RDONLY)
        fcntl.flock(looker, fcntl.LOCK_EX)
        lookers.append(looker)
        return fd, created

    monkeypatch.setattr(run_lock, "_open", open_then_stall_a_looker)
    outcome = []
    acquiring = threading.Thread(target=lambda: outcome.append(_acquire_or_error(tmp_path)), daemon=True)
    acquiring.start()
    acquiring.join(timeout=30)
    for looker in lookers:
        os.close(looker)
    assert not acquiring.is_alive(), "acquire waited for the looker's flock without a bound"
    assert isinstance(outcome[0], RunError) and "right now" in str(outcome[0])
    assert not (tmp_path / LOCK_NAME).exists()  # no empty lock file left to refuse the next try


def _acquire_or_error(folder):
    try:
        return RunLock.acquire(folder)
    except RunError as exc:
        return exc


def test_a_folder_that_cannot_be_written_is_said_as_such_not_as_a_lock(tmp_path, monkeypatch):
    """A read-only (immutable) run folder said "cannot lock RUN for training: Operation not permitted"."""
    import errno
    import os

    from ganstudio.core.run_lock import RunLock
    from ganstudio.core.runlog import RunError

    def refused(path, *args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "open", refused)  # what an immutable folder answers, as root too
    with pytest.raises(RunError) as caught:
        RunLock.acquire(tmp_path)
    assert str(caught.value) == f"cannot train in {tmp_path}: the folder cannot be written to (Operation not permitted)"


def test_put_back_restores_the_folders_time_only_when_nothing_else_changed_it(tmp_path):
    """A refused command's lock.json goes with the folder's time put back; a refusal after the folder changed
    (a file written, then the failure) keeps the change's time, which a backup or a watcher may need."""
    for changed in (False, True):
        folder = tmp_path / f"run-{changed}"
        folder.mkdir()
        os.utime(folder, ns=(1_000_000_000, 1_000_000_000))
        lock = RunLock.acquire(folder)
        if changed:
            (folder / "config.json").write_text("{}")
        lock.put_back()
        assert not (folder / LOCK_NAME).exists()
        assert (folder.stat().st_mtime_ns == 1_000_000_000) is not changed
