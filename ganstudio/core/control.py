"""Steering a run from another process through files in its run folder.

A window (or anything else) appends commands to RUN/control.jsonl; the training process reads
them between steps through a FolderBridge attached to its supervisor, answers each one in
metrics.jsonl, and says it is alive in RUN/heartbeat.json. Files, not sockets, because the run
folder is what every front end already shares, on this machine or on a network or synced folder.

The control file is untrusted input: a line is a command only if its kind is one of COMMAND_KINDS
and its fields are what that kind takes ("change": live fields with numbers), so whatever the
file holds, the trainer never does anything a button in the window could not ask for.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganstudio.core.atomic import atomic_write
from ganstudio.core.config import LIVE_FIELDS, MAX_TEXT, ConfigError, parse_json
from ganstudio.core.events import (
    Alarm,
    Command,
    CommandKind,
    DistributionShown,
    Event,
    Failed,
    Finished,
    Refused,
    RunInfo,
    SampleFrame,
    Snapshot,
    StateChanged,
    StatsBatch,
)
from ganstudio.core.process_state import is_pid
from ganstudio.core.run_file import append_run_file, read_run_file
from ganstudio.core.runlog import (
    DISTRIBUTION_FILE,
    HEARTBEAT_FILE,
    LIVE_PICTURE_FILE,
    SNAPSHOT_FILE,
    RunDirectory,
    is_number,
    is_step,
)

CONTROL_FILE = "control.jsonl"

COMMAND_KINDS = tuple(kind.value for kind in CommandKind)
HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_JOIN_S = 5.0
WRITER_TIMEOUT_S = 10.0  # a heartbeat unchanged this long: the writer is gone
LIVE_PICTURE_INTERVAL_S = 1.0
MAX_LINE_BYTES = 4096  # a command is ~100 bytes; a longer line is not one of ours
MAX_READ_BYTES = 1 << 20  # per poll, so a huge file appended at once cannot stall a step
MAX_LINES_PER_READ = 32  # a window's buttons ask a few commands a second; a flood waits its turn
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_FAILURE_CHARS = 500  # a failed run's reason in the log: one line, whatever the error held
_HEARTBEAT_STATES = ("starting", "running", "paused", "stopping", "stopped", "done", "error", "nan")
ENDED_STATES = ("stopped", "done", "error", "nan")


class CommandError(ValueError):
    """A control-file line that is not a command this process will carry out."""


def control_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / CONTROL_FILE


def heartbeat_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / HEARTBEAT_FILE


def live_picture_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / LIVE_PICTURE_FILE


def distribution_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / DISTRIBUTION_FILE


def snapshot_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / SNAPSHOT_FILE


def forget_last_writer(run_dir: str | Path) -> None:
    """A run carried on (or trained over) has a new writer: the last one's heartbeat, live picture,
    distribution frame and generator copy speak of a process that is gone and of steps the run goes back
    on. Left in place, a window watching the folder took the dead process for its writer ("Paused", its
    pid) until its timeout."""
    for path in (
        heartbeat_path(run_dir),
        live_picture_path(run_dir),
        distribution_path(run_dir),
        snapshot_path(run_dir),
    ):
        with contextlib.suppress(OSError):  # advisory files: one that will not go is outdated, not fatal
            path.unlink(missing_ok=True)


MAX_CHANGE = 1e12  # a sanity bound on a change's number (1e308 is finite, and no rate): the ranges are the trainer's


def check_fields(kind: str, fields: object) -> dict[str, Any] | None:
    """Only "change" carries fields, and only live fields with numbers (k a whole number): the
    ranges are the trainer's to check, as for a change typed into the window."""
    if kind != "change":
        if fields not in (None, {}):
            raise CommandError(f"{kind} takes no fields")
        return None
    if not isinstance(fields, dict) or not fields:
        raise CommandError("change needs fields")
    unknown = sorted(str(k)[:40] for k in fields if k not in LIVE_FIELDS)
    if unknown:
        raise CommandError(f"cannot change {', '.join(unknown)} during a run (live: {', '.join(LIVE_FIELDS)})")
    for name, value in fields.items():
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not is_number(value) or (name == "k" and not whole) or abs(value) > MAX_CHANGE:
            kind_said = "a whole number" if name == "k" else "a number"
            raise CommandError(f"change {name}: {kind_said} no larger than {MAX_CHANGE:g} in size expected")
    return dict(fields)


def command_from_record(record: object) -> Command:
    if not isinstance(record, dict):
        raise CommandError("not a JSON object")
    ident = record.get("id")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise CommandError("no usable id")
    kind = record.get("kind")
    if kind not in COMMAND_KINDS:
        raise CommandError(f"unknown kind {str(kind)[:40]!r}")
    return Command(kind, check_fields(kind, record.get("fields")), ident)


def append_command(run_dir: str | Path, kind: str, fields: dict[str, Any] | None = None) -> Command:
    """Checked as the reader will check it, then appended in one O_APPEND write: two windows
    appending at once never interleave inside a line, and nothing already there is rewritten."""
    if kind not in COMMAND_KINDS:
        raise CommandError(f"unknown kind {kind!r}")
    command = Command(kind, check_fields(kind, fields), uuid.uuid4().hex[:16])
    line = json.dumps({"id": command.id, "kind": kind, "fields": command.fields or {}, "time": time.time()}) + "\n"
    append_run_file(control_path(run_dir), line.encode("utf-8"))
    return command


class ControlReader:
    """Reads the commands appended since the last read. The first read starts at the end of what
    is there when it is made (a command from an earlier session is not carried out again); an
    unfinished last line waits for its newline; a line that is not a command is refused."""

    def __init__(self, path: str | Path, from_start: bool = False):
        self.path = Path(path)
        self.offset = 0 if from_start else (self._size() or 0)

    def _size(self) -> int | None:
        """None when the file cannot be looked at: its folder moved away for a moment, a network folder's
        passing error. Read as 0, that put the offset back to the start, and the folder's return replayed
        every command in the file (a stop long carried out stopped the run again)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def read(self) -> tuple[list[Command], list[tuple[str | None, str]]]:
        """(commands, refused lines as (id when readable, reason))."""
        size = self._size()
        if size is None:
            return [], []
        if size < self.offset:  # a new file in its place: all of it is new
            self.offset = 0
        if size == self.offset:
            return [], []
        try:
            chunk = read_run_file(self.path, min(size - self.offset, MAX_READ_BYTES), self.offset)
        except OSError:
            return [], []
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            if len(chunk) <= MAX_LINE_BYTES:
                return [], []  # a line still being written
            end = len(chunk)  # no newline in a megabyte: not a command; skip it
        commands: list[Command] = []
        refused: list[tuple[str | None, str]] = []
        lines = chunk[:end].splitlines(keepends=True)
        for raw in lines[:MAX_LINES_PER_READ]:  # the rest next time: a flood of saves must not stall a run
            self.offset += len(raw)
            if not raw.strip():
                continue
            raw = raw.rstrip(b"\r\n")
            record = None
            try:
                if len(raw) > MAX_LINE_BYTES:
                    raise CommandError("line too long")
                record = parse_json(raw.decode("utf-8"), "control")
                commands.append(command_from_record(record))
            except (CommandError, ConfigError, UnicodeDecodeError) as exc:
                ident = record.get("id") if isinstance(record, dict) else None
                refused.append((ident if isinstance(ident, str) and _ID.fullmatch(ident) else None, str(exc)))
        return commands, refused


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    host: str
    step: int
    state: str
    time: float
    picture_step: int | None = None
    device: str = ""  # as the writer describes it ("CUDA: NVIDIA H200", "CPU (2 threads)")
    reason: str = ""  # why the run failed, said here too: a full disk leaves the log no room for its `failed`

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES

    def to_record(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "host": self.host,
            "step": self.step,
            "state": self.state,
            "time": self.time,
            "picture_step": self.picture_step,
            "device": self.device,
            "reason": self.reason,
        }


def read_heartbeat(run_dir: str | Path) -> Heartbeat | None:
    """None for a missing, torn or foreign file: the watcher then simply has no news."""
    try:
        raw = read_run_file(heartbeat_path(run_dir), MAX_LINE_BYTES)
        record = parse_json(raw.decode("utf-8"), "heartbeat")
    except (OSError, ConfigError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    pid, host, step, state, when = (record.get(k) for k in ("pid", "host", "step", "state", "time"))
    picture, device, reason = record.get("picture_step"), record.get("device", ""), record.get("reason", "")
    if not (
        is_pid(pid)
        and is_step(step)
        and isinstance(host, str)
        and len(host) <= MAX_TEXT
        and state in _HEARTBEAT_STATES
        and is_number(when)
        and (picture is None or is_step(picture))
        and isinstance(device, str)
        and len(device) <= MAX_TEXT
        and isinstance(reason, str)
        and len(reason) <= MAX_FAILURE_CHARS
    ):
        return None
    return Heartbeat(pid, host, step, state, float(when), picture, device, reason)


def _value(value: object) -> object:
    """An enum member as its plain value ("paused", not RunState.PAUSED), for JSON and comparisons."""
    return getattr(value, "value", value)


class FolderBridge:
    """The training side of the folder protocol, attached to a supervisor through its two hooks.

    poll() runs on the training thread between steps: one stat of the control file when nothing was
    appended. on_event() sees every event there too; it knows the events of core/events.py by name
    (RunInfo, StatsBatch, StateChanged, SampleFrame, Snapshot, Alarm, Refused, Finished) and takes the step
    from any event that has one. A thread of its own rewrites heartbeat.json every second, so a long
    step or an evaluation never looks like a dead writer.
    """

    def __init__(self, run: RunDirectory | str | Path, current_step: Callable[[], int | None] | None = None):
        """current_step: the run's own step count, when the supervisor has a session to ask."""
        self.run = run if isinstance(run, RunDirectory) else RunDirectory(run)
        self.reader = ControlReader(control_path(self.run.path))
        self._current_step = current_step
        self.step = 0
        self.state = "starting"
        self.picture_step: int | None = None
        self.device = ""
        self.reason = ""  # why the run failed, once it has
        self._snapshot_asked = False  # a "snapshot" command came through the folder
        self._last_picture = -math.inf
        self._host = socket.gethostname()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.beat()
        self._thread = threading.Thread(target=self._beat_loop, name="FolderBridgeHeartbeat", daemon=True)
        self._thread.start()

    def step_now(self) -> int:
        """The step the run is at: the events' last step lags by up to a log interval, so a pause read at
        step 1,166 was logged (and beaten) at 1,161; the session's own count, when there is one."""
        try:
            step = self._current_step() if self._current_step is not None else None
        except Exception:  # noqa: BLE001 - the heartbeat thread asks too: whatever fails, it must go on beating
            step = None
        return self.step if step is None else step

    def poll(self) -> list[Command]:
        commands, refused = self.reader.read()
        if not commands and not refused:
            return []
        step = self.step_now()
        for command in commands:
            self._log({"step": step, "event": "command", "id": command.id, "kind": command.kind})
            if command.kind == "stop":
                self.state = "stopping"
            elif command.kind == "snapshot":
                self._snapshot_asked = True
        for ident, reason in refused:
            if ident is not None:
                self._log({"step": step, "event": "command", "id": ident, "refused": reason})
        return commands

    def _log(self, record: dict[str, Any]) -> None:
        """What the bridge adds to the log is for a watcher: a full disk loses it, and the run goes on (and
        says so itself when its own records cannot be written)."""
        with contextlib.suppress(OSError):
            self.run.append_event(record)

    def note_stop(self, reason: str) -> None:
        """Why the run stops when no command in the folder asked (a signal, its launcher gone): logged beside
        `failed`, for a watching window to say once the run has stopped."""
        self.state = "stopping"  # as a stop from the folder does: a watcher shows it stopping, not running
        self._log({"step": self.step_now(), "event": "stopping", "message": reason})

    def on_event(self, event: Event) -> None:
        step = getattr(event, "step", getattr(event, "start_step", None))
        if isinstance(event, StatsBatch) and event.stats:
            step = event.stats[-1].step
        if isinstance(step, int):
            self.step = step
        match event:
            case RunInfo():
                self.device = str(event.device)
            case StateChanged() if self.state != "stopping":
                self.state = str(_value(event.state))
                with contextlib.suppress(OSError):  # the beat thread tries again within a second
                    self.beat()  # a watcher shows Paused when the run is, not a second later
            case SampleFrame():
                with contextlib.suppress(OSError):  # the next picture tries again
                    self._write_picture(event)
            case DistributionShown() if event.frame.step == self.picture_step:  # drawn with the picture written
                from ganstudio.core.distribution_frame import write_distribution

                with contextlib.suppress(OSError):  # the next picture tries again
                    write_distribution(event.frame, distribution_path(self.run.path))
            case Snapshot() if self._snapshot_asked or event.payload.get("final"):
                # a window training the run asks its own every few seconds: only the folder's asks are written
                self._snapshot_asked = False
                from ganstudio.core.checkpoint import CheckpointError, save_checkpoint

                try:
                    save_checkpoint(event.payload, snapshot_path(self.run.path))
                except (OSError, CheckpointError) as exc:
                    self._log({"step": event.step, "event": "refused", "message": f"no snapshot: {exc}"})
            case Alarm():  # the log's alarm record has no remedies; a watching window offers them
                self._log(
                    {
                        "step": event.step,
                        "event": "remedies",
                        "kind": event.kind,
                        "remedies": [
                            {"label": r.label, "live": r.live, "config": r.config, "rewind": r.rewind}
                            for r in event.remedies
                        ],
                    }
                )
            case Refused():
                self._log({"step": event.step, "event": "refused", "message": event.message, "change": event.change})
            case Failed():  # a watcher elsewhere sees only the folder: the reason, in the run's words
                self.reason = failure_line(event)
                self._log({"step": self.step, "event": "failed", "message": self.reason})
            case Finished():
                self.close(str(_value(event.reason)))

    def _write_picture(self, event: SampleFrame) -> None:
        """At most once a second: the supervisor paces its pictures already; this bounds the disk."""
        now = time.monotonic()
        if now - self._last_picture < LIVE_PICTURE_INTERVAL_S and not event.final:
            return
        from ganstudio.core.imaging import save_png, scatter_image

        if event.image is not None:
            image = event.image
        elif event.real is not None and event.fake is not None:  # a toy run's frame: points, no image
            image = scatter_image(event.real, event.fake)
        else:
            raise ValueError("a sample frame carries an image, or real and generated points")
        save_png(image, live_picture_path(self.run.path))
        self._last_picture = now
        self.picture_step = event.step

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(
            os.getpid(),
            self._host,
            self.step_now(),
            self.state,
            time.time(),
            self.picture_step,
            self.device,
            self.reason,
        )

    def beat(self, wait_s: float = -1) -> None:
        """wait_s: how long to wait for a beat under way (-1: as long as it takes)."""
        # UTF-8 as it is (4 bytes a character at most, where \u escapes take 12): its failure's words fit the read
        text = json.dumps(self.heartbeat().to_record(), ensure_ascii=False) + "\n"
        if not self._lock.acquire(timeout=wait_s):
            return
        try:
            atomic_write(heartbeat_path(self.run.path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            _overwrite(heartbeat_path(self.run.path), text.encode("utf-8"))
        finally:
            self._lock.release()

    def _beat_loop(self) -> None:
        while not self._closed.wait(HEARTBEAT_INTERVAL_S):
            try:
                self.beat()
            except OSError:
                continue  # a full disk or a network folder gone for a moment: try again next second

    def close(self, state: str = "stopped") -> None:
        """The last heartbeat says how the run ended, so a watcher tells an end from a death."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_JOIN_S)  # a beat stuck in a stalled network folder's fsync
        self.state = state
        with contextlib.suppress(OSError):  # the run's end is said by its exit too; its checkpoint is saved
            self.beat(wait_s=HEARTBEAT_JOIN_S)


def _overwrite(path: Path, data: bytes) -> None:
    """The heartbeat rewritten where it lies, when the disk is full: a new file needs a block the disk no longer
    has, the old file's is there. A watcher may read it torn once, which it takes as no news; a link planted in
    its place is not followed."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.truncate()


def _lost_peer(error: RuntimeError) -> str | None:
    """Another rank of a torchrun run gone, in words: only a process that trained (torch is loaded) has one."""
    from ganstudio.core.distributed import lost_peer

    return lost_peer(error)


def failure_line(event: Failed) -> str:
    """Why a run failed, in one line: its summary, the error's own words (a failed write's as `train` says
    it), or the traceback's last line."""
    from ganstudio.core.user_errors import io_reason

    error = event.error
    if event.summary:
        text = event.summary
    elif isinstance(error, OSError):
        text = io_reason(error)
    elif isinstance(error, RuntimeError) and (lost := _lost_peer(error)) is not None:
        text = lost
    elif error is not None and str(error):
        text = str(error)
    else:
        text = (event.message.strip().splitlines() or ["no reason given"])[-1]
    return text.strip().splitlines()[0][:MAX_FAILURE_CHARS]


def attach_folder(supervisor: Any, run: RunDirectory | str | Path) -> FolderBridge:
    """What makes a run steerable from its folder: cmd_train calls this once on its supervisor, so a
    window watching the folder (`ganstudio watch RUN`) can pause, change, save and stop the run."""
    bridge = FolderBridge(run, current_step=lambda: getattr(getattr(supervisor, "session", None), "step", None))
    supervisor.add_command_source(bridge.poll)
    supervisor.add_listener(bridge.on_event)
    bridge.start()
    return bridge
