"""Opening a file in a run folder that another process, machine or person may have put there.

A watched folder is shared (NFS, a synced folder): a pipe named heartbeat.json would block the window's
read for ever, a link to /dev/zero would read without end, and a link named control.jsonl or
metrics.jsonl would have an append land in whatever file it names. The app itself only ever writes
these as regular files (atomic_write replaces, appends go to its own file), so anything else standing
there is refused, as lock.json's opener refuses it (run_lock._open).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

CHUNK_BYTES = 1 << 20
_NOT_FOLLOWED = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class NotARunFile(OSError):
    """Something other than a plain file of its own stands where the run keeps a file."""

    def __str__(self) -> str:
        return f"{self.filename} {self.strerror}"


def _open(path: Path, flags: int, mode: int = 0o644) -> int:
    """A descriptor of a regular file; a symbolic link, pipe, device or folder is refused, and the open
    itself cannot block (O_NONBLOCK: a pipe opened without a writer or reader). A hard link is a file of the
    run's own (`cp -al` backups make them), as it is for atomic_write."""
    try:
        fd = os.open(path, flags | _NOT_FOLLOWED, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise NotARunFile(errno.ELOOP, "is a link, not a file of the run's own", str(path)) from None
        if exc.errno == errno.ENXIO:  # a pipe nobody reads, opened to write
            raise NotARunFile(errno.EINVAL, "is not a regular file", str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARunFile(errno.EINVAL, "is not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def opened_run_file(path: str | Path) -> Iterator[int]:
    """A descriptor to read a run file by, refused as _open refuses it, closed on leaving."""
    fd = _open(Path(path), os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def read_run_file(path: str | Path, limit: int, offset: int = 0) -> bytes:
    """At most `limit` bytes from `offset`: a file grown past what its reader expects costs no more."""
    with opened_run_file(path) as fd:
        return read_at(fd, limit, offset)


def read_at(fd: int, limit: int, offset: int = 0) -> bytes:
    if offset:
        os.lseek(fd, offset, os.SEEK_SET)
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def run_file_lines(path: str | Path, max_line: int) -> Iterator[bytes]:
    """The file's lines, without their newlines; a line longer than max_line is skipped, never held whole
    (a 100 GB file with no newline, sparse or a link's target, was read into one string until memory ran out)."""
    with opened_run_file(path) as fd:
        pending, skipping = b"", False
        while chunk := os.read(fd, CHUNK_BYTES):
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                if not skipping and len(pending) + end - start <= max_line:
                    yield pending + chunk[start:end]
                pending, skipping, start = b"", False, end + 1
            if not skipping:
                skipping = len(pending) + len(chunk) - start > max_line
                pending = b"" if skipping else pending + chunk[start:]
        if pending:
            yield pending


def append_run_file(path: str | Path, data: bytes) -> None:
    """One O_APPEND write, creating the file: two writers appending at once never interleave inside it. A write
    cut short (a full disk) is taken back, so the file never ends in half a line; the bytes it cut are the
    file's last, as nothing can be appended after them on a full disk."""
    fd = _open(Path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    written = 0
    try:
        while written < len(data):
            written += os.write(fd, data[written:])
    except OSError as exc:  # os.write names no file: a full disk is said with the one it was writing
        if written:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, os.fstat(fd).st_size - written)
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    finally:
        os.close(fd)


def check_run_file(path: str | Path) -> None:
    """Raises NotARunFile when something other than a plain file stands at `path`; nothing there is fine."""
    if os.path.lexists(path):
        os.close(_open(Path(path), os.O_RDONLY))
