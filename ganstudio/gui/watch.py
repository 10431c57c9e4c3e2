"""Following a run folder that another process writes, and steering it through its control file.

RunWatcher looks at the folder twice a second: one stat per file, and a read only of what grew, so
watching a quiet run costs nothing. A timer rather than QFileSystemWatcher because the folder may
be on a network or synced filesystem, where change notifications do not arrive.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ganstudio.core.control import (
    WRITER_TIMEOUT_S,
    CommandError,
    Heartbeat,
    append_command,
    distribution_path,
    heartbeat_path,
    live_picture_path,
    read_heartbeat,
    snapshot_path,
)
from ganstudio.core.events import CommandKind
from ganstudio.core.follow import MetricsFollower
from ganstudio.core.process_state import WriterProcess, writer_here
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.stats import StepStats
from ganstudio.core.user_errors import io_reason, not_writable
from ganstudio.gui.worker import SampleFrame

WATCH_INTERVAL_MS = 500
QUIET_AFTER_S = 3.0  # missed beats before a writer whose process has ended or stopped on this machine is said


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written or replaced; None when it is not there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class RunWatcher(QObject):
    stats_ready = Signal(object)  # list[StepStats], in step order
    # the event records of metrics.jsonl one read found, in order, and whether they are news (not history)
    records = Signal(object, bool)
    restarted = Signal()  # metrics.jsonl was rewritten (a rewind, a resume): its history follows again
    frame_ready = Signal(object)  # SampleFrame: live.png, or a new grid in samples/
    writer_replaced = Signal()  # the heartbeat went: a run carried on by a writer without one (a window)
    folder_gone = Signal(bool)  # the run folder went (True: moved or removed) or came back (False)
    heartbeat = Signal(object)  # Heartbeat, each time it changes
    writer_lost = Signal(float)  # seconds without a heartbeat (or, from a writer that never beat, without growth)
    snapshot_ready = Signal(str)  # snapshot.pt was (re)written
    distribution_ready = Signal(object)  # DistributionFrame: a toy run's distribution.npz was (re)written

    def __init__(
        self,
        run_dir: str | Path,
        parent: QObject | None = None,
        timeout_s: float = WRITER_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(parent)
        self.run = RunDirectory(run_dir)
        self.timeout_s = timeout_s
        self._clock = clock
        self.follower = MetricsFollower(self.run.metrics_path)
        self.last_beat: Heartbeat | None = None
        self.step = 0
        self.lost = False
        # The writer's process on this machine when its silence was said (None: elsewhere, or cannot say)
        self.writer_state: WriterProcess | None = None
        self._finished_at: int | None = None  # a run with no heartbeat whose log reached its last step
        self._stamps: dict[str, tuple | None] = {
            "live": None,
            "distribution": None,
            "samples": None,
            "heartbeat": None,
            "snapshot": _stamp(snapshot_path(self.run.path)),
        }
        self._seen_samples: set[int] = set()
        self._live_final = False  # whether the live picture shown was labelled the run's last
        self._caught_up = False
        self._gone = False
        self._config_missing = 0  # looks in a row that found no config.json
        self._last_news = clock()
        self.timer = QTimer(self)
        self.timer.setInterval(WATCH_INTERVAL_MS)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.tick()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    @property
    def gone(self) -> bool:
        """The run folder is away (moved, removed, emptied), as folder_gone last said."""
        return self._gone

    def _changed(self, name: str, path: Path) -> bool:
        stamp = _stamp(path)
        if stamp == self._stamps[name]:
            return False
        self._stamps[name] = stamp
        return stamp is not None

    def tick(self) -> None:
        """One look at the folder; the first one reads the run's history, as Open run folder does."""
        if self._folder_gone():
            return
        grew = self._read_metrics()
        self._read_samples()
        if self._changed("heartbeat", heartbeat_path(self.run.path)):
            beat = read_heartbeat(self.run.path)
            if beat is not None and beat != self.last_beat:
                self.last_beat = beat
                self._news()
                self.heartbeat.emit(beat)
        elif self.last_beat is not None and self._stamps["heartbeat"] is None:
            self._forget_writer()
        elif grew and self.last_beat is None:
            self._news()  # a writer without a heartbeat (an older GAN Studio): alive while its log grows
        self._read_live_picture()
        self._read_distribution()
        if self._changed("snapshot", snapshot_path(self.run.path)):
            self.snapshot_ready.emit(str(snapshot_path(self.run.path)))
        self._caught_up = True
        silent = self._clock() - self._last_news
        if self.finished or silent <= min(QUIET_AFTER_S, self.timeout_s):
            return
        if self.lost:  # said already; a stopped writer that is then killed is said again (it was PAUSED for good)
            if self.writer_state is WriterProcess.STOPPED and self._writer_here() is WriterProcess.GONE:
                self.writer_state = WriterProcess.GONE
                self.writer_lost.emit(silent)
            return
        # A writer on this machine that has ended or is stopped cannot beat: said now, not after the timeout
        state = self._writer_here()
        if silent > self.timeout_s or (silent > QUIET_AFTER_S and state in (WriterProcess.GONE, WriterProcess.STOPPED)):
            self.lost, self.writer_state = True, state
            self.writer_lost.emit(silent)

    def _folder_gone(self) -> bool:
        """A folder moved or removed is said as such: its heartbeat gone read as another writer carrying the
        run on, then its silence as a death. So is one emptied, or a share unmounted from under its mount point:
        a run folder keeps its config.json (replaced whole, never removed) for as long as it is one. Where a
        replace can show as a removal and a new file (a network share, a sync client), config.json alone missing
        counts once it is missing at two looks running (at the first, the tick reads nothing: an emptied folder's
        missing heartbeat would be news of another writer). Its return is news: the silence is counted from it."""
        missing = not self.run.config_path.is_file()
        self._config_missing = self._config_missing + 1 if missing else 0
        gone = self._config_missing >= 2 or (missing and not self.run.path.is_dir())  # a file in it: it is there
        if gone != self._gone:
            self._gone = gone
            if not gone:
                self._news()
                self.lost = False  # a writer's death said before is said again, once its silence is
            self.folder_gone.emit(gone)
        return gone or missing

    def _writer_here(self) -> WriterProcess | None:
        return writer_here(self.last_beat) if self.last_beat is not None else None

    def _forget_writer(self) -> None:
        """Carrying a run on removes the last writer's heartbeat (core.control.forget_last_writer): the run
        now has a writer without one, followed by its log like any other, not the dead or ended one."""
        self.last_beat = None
        self._finished_at = None
        self._live_final = False
        self._news()
        self.writer_replaced.emit()

    def mark_finished(self, step: int) -> None:
        """The window's word that a run with no heartbeat ended at step: its silence is not a death, until
        its log grows past that step (another window carrying it on)."""
        self._finished_at = step

    @property
    def finished(self) -> bool:
        """Whether the run has ended: by its last heartbeat, or, without one, as mark_finished said."""
        if self.last_beat is not None:
            return self.last_beat.ended
        return self._finished_at is not None and self.step <= self._finished_at

    def _news(self) -> None:
        self._last_news = self._clock()
        self.lost = False

    def _read_metrics(self) -> bool:
        restarted, records = self.follower.records()
        live = self._caught_up and not restarted
        if restarted:
            self.restarted.emit()
        # the curves first, then every event of this read at once: a log has stats between any two scores,
        # and events sent between them drew a long run's scores one at a time (events place themselves by
        # their own step)
        self._emit_stats([StepStats.from_record(record) for record in records if "event" not in record])
        events = [record for record in records if "event" in record]
        if events:
            self.records.emit(events, live)
        return bool(records)

    def _emit_stats(self, stats: list[StepStats]) -> None:
        if stats:
            self.step = stats[-1].step
            self.stats_ready.emit(stats)

    def _read_samples(self) -> None:
        if not self._changed("samples", self.run.samples_dir):
            return
        for step, path in self.run.sample_files():
            if step not in self._seen_samples:
                self._seen_samples.add(step)
                self._emit_picture(path, saved=True, step=step)

    def _read_live_picture(self) -> None:
        """A new live picture, or the one shown again once the run has ended or its writer is lost (killed): the
        run's last picture says so, as a window's own run does, not "live" long after the writer is gone. A
        writer heard from again makes its next picture live."""
        path = live_picture_path(self.run.path)
        ended = self.finished or self.lost
        if self._changed("live", path) or (ended and not self._live_final and self._stamps["live"] is not None):
            self._live_final = self._emit_picture(path, saved=False, final=ended) and ended

    def _read_distribution(self) -> None:
        """A frame that will not read (being replaced, or not one) is passed over: the next one is drawn."""
        from ganstudio.core.distribution_frame import DistributionFileError, read_distribution

        path = distribution_path(self.run.path)
        if self._changed("distribution", path):
            try:
                self.distribution_ready.emit(read_distribution(path))
            except (OSError, DistributionFileError):
                pass

    def _emit_picture(self, path: Path, saved: bool, step: int | None = None, final: bool = False) -> bool:
        """False when the file was replaced between the stat and the read: the next tick sees the new one, and
        an ended run's last picture is labelled again then."""
        from ganstudio.core.imaging import load_png

        try:
            image = load_png(path)
        except OSError:
            return False
        if step is None:
            beat = self.last_beat
            step = beat.picture_step if beat is not None and beat.picture_step is not None else self.step
        self.frame_ready.emit(SampleFrame(step, image=image, saved=saved, final=final))
        return True


class FolderSteering:
    """The run controls of a watched run: the TrainingController's methods, each writing one command
    to the run's control file; what the run did about it comes back through metrics.jsonl."""

    def __init__(self, run_dir: str | Path, report: Callable[[str], None]):
        self.run_dir = Path(run_dir)
        self._report = report

    def _send(self, kind: CommandKind, fields: dict | None = None) -> None:
        try:
            append_command(self.run_dir, kind.value, fields)
        except CommandError as exc:
            self._report(f"Cannot send {kind.value} to the run: {exc}")
        except OSError as exc:
            if not_writable(exc):
                why = (
                    f"this window cannot write to its folder ({exc.strerror}), so it can watch the run but not steer it"
                )
            else:
                why = io_reason(exc)
            self._report(f"Cannot send {kind.value} to the run: {why}")

    def pause(self, paused: bool) -> None:
        self._send(CommandKind.PAUSE if paused else CommandKind.RESUME)

    def step_once(self, kind: CommandKind = CommandKind.STEP) -> None:
        self._send(kind)

    def save_checkpoint(self) -> None:
        self._send(CommandKind.SAVE)

    def rewind(self) -> None:
        self._send(CommandKind.REWIND)

    def change(self, changes: dict) -> None:
        self._send(CommandKind.CHANGE, changes)

    def request_snapshot(self) -> None:
        self._send(CommandKind.SNAPSHOT)

    def stop(self) -> None:
        self._send(CommandKind.STOP)
