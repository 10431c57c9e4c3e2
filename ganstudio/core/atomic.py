"""Writing files so that a crash never leaves a half-written one in place."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

TMP_SUFFIX = ".tmp"
STALE_SECONDS = 60.0  # a temp file older than any write takes was left by a killed process
PIPE_READER_WAIT_S = 10.0  # how long --out naming a pipe waits for a process to read it
PIPE_POLL_S = 0.05


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


PARTIAL_FOLDER = re.compile(r"\..+\.partial-[a-z0-9_]{8}")  # partial_folder's names: mkdtemp's eight characters
# A folder being filled can go untouched for long (a toy `sample` writes its points only once all are drawn): an
# hour, where a temp file's minute would take another process's write in flight
STALE_FOLDER_SECONDS = 3600.0


def partial_folder(dest: Path) -> Path:
    """An empty folder beside dest, to fill and then rename to dest, with the mode a plain mkdir would give
    (mkdtemp's 0700 would hide the finished folder from the user's group)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def second_name(source: Path, path: Path) -> bool:
    """Makes path another name for source's file, at once, through a rename over it: a process killed meanwhile
    leaves path as it was or whole, where a copy is a second write a kill can cut short. Files written with
    atomic_write are replaced, never rewritten in place, so path keeps these bytes. False where the filesystem
    has no hard links: the caller then writes a copy."""
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}{TMP_SUFFIX}")
    try:
        os.link(source, tmp)
    except OSError:
        return False
    try:
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    _fsync_folder(path.parent)
    return True


def _fsync_folder(folder: Path) -> None:
    """The rename itself lives in the folder: without this a power cut can undo it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (and Windows) cannot sync a folder; the file itself is synced
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Calls write(temp_path) for a temp file in the same folder, syncs it, then renames it over path.

    The file gets the mode a plain open() would give (mkstemp's 0600 would hide it from the user's
    group); on any failure the temp file is removed and path is untouched. The folder must exist: a run
    folder removed while its run trains must not come back holding a few files and no config.json."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    except FileNotFoundError:
        raise folder_gone(path) from None
    except OSError as exc:
        raise _naming(exc, path) from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.filename is not None and os.fspath(exc.filename) != tmp:
            raise  # about another file, which it names
        raise _naming(exc, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def folder_gone(path: Path) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, f"its folder {path.parent} is gone (removed or moved)", str(path))


def make_subfolder(folder: Path) -> Path:
    """folder, made when missing inside a parent that must exist (a run's samples/ or checkpoints/, never
    the run folder itself)."""
    try:
        folder.mkdir(exist_ok=True)
    except FileNotFoundError:
        raise folder_gone(folder) from None
    return folder


def _naming(exc: OSError, path: Path) -> OSError:
    """The error with the file the user knows in it, not the hidden temp file it was being written as."""
    return type(exc)(exc.errno, exc.strerror, str(path))


def cannot_write_in(folder: str | Path) -> str | None:
    """Why a file cannot be made in folder, found by making one (unnamed, or removed at once): os.access
    says yes to root on a read-only mount, and no to nothing that ACLs or a full quota refuse."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def write_named_file(path: str | Path, write: Callable[[str], object]) -> Path:
    """A file the user named (--out, --json). A device or a pipe (/dev/null, /dev/stdout) is written in
    place: renaming over it would replace the device with a file. A link's target is replaced and the link
    kept. Anything else as atomic_write. Run-folder files keep atomic_write alone: a link or a pipe put in
    a run folder must never decide where a write goes, or block it."""
    path = Path(path)
    descriptor = _descriptor(path)
    if descriptor is not None:
        target: int = descriptor
        _write_staged(write, lambda data: _write_all(target, data, path))
        return path
    try:
        mode = path.stat().st_mode
    except OSError:  # nothing there yet (or a dangling link, replaced)
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, write)
    if stat.S_ISFIFO(mode):
        _write_staged(write, lambda data: _write_to_pipe(path, data))
        return path
    if stat.S_ISCHR(mode) or stat.S_ISSOCK(mode):
        write(str(path))
        return path
    return atomic_write(Path(os.path.realpath(path)) if path.is_symlink() else path, write)


def write_named_text(path: str | Path, text: str) -> Path:
    """write_named_file for a text the command already holds whole (a CSV, a JSON report)."""
    return write_named_file(path, lambda target: Path(target).write_text(text, encoding="utf-8"))


def overwritten_input(out: str | Path, inputs: Iterable[str | Path | None]) -> Path | None:
    """The input that out names (the same file, by any path or link), which writing out would destroy:
    `classify latest.pt pics --out latest.pt` turned the run's checkpoint into CSV."""
    target = Path(out)
    for given in inputs:
        if given is None:  # an option not given
            continue
        with contextlib.suppress(OSError):  # a missing input is the command's own error to report
            if os.path.samefile(target, given):
                return Path(given)
    return None


def _descriptor(path: Path) -> int | None:
    """The open file a name such as /dev/stdout stands for. Opened anew it could be a regular file the shell
    redirected to (`>> log.txt`): renaming over it, or opening it with truncation, would destroy the log."""
    named = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}.get(str(path))
    match = re.fullmatch(r"/(?:dev/fd|proc/self/fd)/(\d+)", str(path))
    return named if named is not None else int(match.group(1)) if match else None


def _write_to_pipe(path: Path, data: bytes) -> None:
    """Into a named pipe, once a process reads it: opened plainly, a pipe nobody reads would block the
    command for ever, after all its work was done."""
    deadline = time.monotonic() + PIPE_READER_WAIT_S
    while True:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if time.monotonic() >= deadline:
                raise OSError(
                    errno.ENXIO, f"no process opened the pipe for reading within {PIPE_READER_WAIT_S:g} s", str(path)
                ) from None
            time.sleep(PIPE_POLL_S)
    try:
        os.set_blocking(descriptor, True)
        _write_all(descriptor, data, path)
    finally:
        os.close(descriptor)


def _write_staged(write: Callable[[str], object], deliver: Callable[[bytes], None]) -> None:
    """write() fills a temporary file whose bytes are then delivered whole, after what the process printed:
    a failed write() sends nothing."""
    with tempfile.TemporaryDirectory() as folder:
        staged = os.path.join(folder, "output")
        write(staged)
        data = Path(staged).read_bytes()
    sys.stdout.flush()
    sys.stderr.flush()
    deliver(data)


def _write_all(descriptor: int, data: bytes, path: Path) -> None:
    """A reader of a named output that leaves early is this command's error, with its name: a bare
    BrokenPipeError would read as standard output's own reader leaving (`| head`), which ends quietly."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(descriptor, view) :]
    except BrokenPipeError:
        if descriptor == sys.stdout.fileno():
            raise
        raise OSError(f"{path}: its reader closed it before the output was written") from None


def remove_stale_temp_files(folder: str | Path, older_than: float = STALE_SECONDS) -> int:
    """Deletes the temp files atomic_write leaves when its process is killed mid-write; returns how many.
    Only names of its own pattern (.NAME.XXXX.tmp), and only old ones, so a write in flight is safe; older_than
    0 (a folder only its caller writes) takes every one, a file stamped by a clock ahead of this one too."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    removed = 0
    cutoff = time.time() - older_than
    for p in folder.glob(f".*{TMP_SUFFIX}"):
        try:
            if p.is_file() and not p.is_symlink() and (older_than <= 0 or p.stat().st_mtime < cutoff):
                p.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def remove_stale_partial_folders(folder: str | Path) -> int:
    """Deletes the hidden folders partial_folder makes that a process killed mid-write left (an image set of
    thousands of pictures otherwise stays, unseen, for good); returns how many. Only its own names, and only
    those in which nothing was written for STALE_FOLDER_SECONDS."""
    cutoff = time.time() - STALE_FOLDER_SECONDS
    try:
        found = [p for p in Path(folder).iterdir() if PARTIAL_FOLDER.fullmatch(p.name)]
    except OSError:
        return 0
    removed = 0
    for p in found:
        try:
            if p.is_symlink() or not p.is_dir():
                continue
            if p.lstat().st_mtime >= cutoff or any(e.lstat().st_mtime >= cutoff for e in p.iterdir()):
                continue
            shutil.rmtree(p)
            removed += 1
        except OSError:
            continue
    return removed
