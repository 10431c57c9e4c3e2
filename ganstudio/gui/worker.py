"""The window's side of a run: a QThread that iterates the core Supervisor, and the controller.

As in superqt's generator workers, the thread runs a generator (Supervisor.run) and sends each
value it yields across threads through one signal; the controller turns those typed events into
the named signals the window connects to. Control goes the other way as commands on the
supervisor's thread-safe queue, never as queued slots (a slot queued to a busy thread would never
run) and never terminate(). No torch here: the supervisor imports it on its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from ganstudio.core.control import attach_folder
from ganstudio.core.events import (
    Alarm,
    Changed,
    CheckpointSaved,
    ClassifierScored,
    Command,
    CommandKind,
    DistributionShown,
    Event,
    Failed,
    Finished,
    FinishReason,
    ModesMeasured,
    QualityScored,
    Refused,
    Rewound,
    RunInfo,
    SampleFrame,
    Scoring,
    Snapshot,
    StateChanged,
    StatsBatch,
    ThreadsChosen,
)
from ganstudio.core.supervisor import Supervisor

if TYPE_CHECKING:  # torch loads with the session, when a run starts
    from ganstudio.core.session import TrainingSession

STOP_WAIT_MS = 2000
FINISH_RETRY_MS = 100  # a thread that said Finished is returning from run(); look again this soon


class TrainingThread(QThread):
    """Runs one supervisor; every event crosses to the GUI thread through `event_ready` as it happens. The
    supervisor yields its events between steps, so one said before a quality score (the step scored, its
    generator, "scoring") would only have crossed once the score was done."""

    event_ready = Signal(object)  # a core.events.Event

    def __init__(self, supervisor: Supervisor):
        super().__init__()
        self.setObjectName("TrainingThread")
        self.supervisor = supervisor

    def run(self) -> None:
        self.supervisor.add_listener(self.event_ready.emit)
        for _said in self.supervisor.run():  # already emitted by the listener
            pass


class TrainingController(QObject):
    """Owns one training thread at a time and routes its events to these signals."""

    started_run = Signal(object)  # RunInfo
    stats_ready = Signal(object)  # list[StepStats]
    frame_ready = Signal(object)  # SampleFrame
    state_changed = Signal(object)  # RunState
    alarm = Signal(int, str)  # the step, and a request the run refused (nothing to rewind to, NaN weights unsaved)
    change_refused = Signal(int, str)  # the step, and why the run refused a live change
    stop_refused = Signal(str)  # why the stop's checkpoint could not be saved; the run is paused instead
    checkpoint_saved = Signal(str)
    snapshot_ready = Signal(object)  # generator state_dict copy + config, for the explorer
    distribution_ready = Signal(object)  # DistributionFrame (toy data only)
    modes_ready = Signal(int, object)  # step, ModeMetrics (ring-8 / grid-25)
    quality_ready = Signal(int, object, bool)  # step, QualityReport.to_record() dict, whether it is the best so far
    classifier_ready = Signal(int, object)  # step, ClassifierReport of a semi-supervised run's held-out check
    changed = Signal(int, object)  # step, dict of hyperparameters changed mid-run
    scoring = Signal(int)  # the step whose samples the run is scoring (seconds; its steps wait)
    threads_chosen = Signal(object)  # ThreadsChosen: an auto-threads run followed the machine's load
    health_alarm = Signal(object)  # core.events.Alarm
    rewound = Signal(int, object)  # the step training went back to, and its config (as a dict)
    failed = Signal(str, str)  # traceback text; the reason in one line when it is a bad input, else ''
    finished = Signal(object)  # FinishReason

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: TrainingThread | None = None
        self._reason = FinishReason.ERROR  # what the run said when it ended; a thread that died said nothing
        self.finished_step = 0  # the step it ended at, when it said so

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, make_session: Callable[[], TrainingSession], paused: bool = False) -> None:
        if self.running:
            raise RuntimeError("a run is already in progress")

        def made_and_attached() -> TrainingSession:
            """The run answers its folder as a terminal's run does (heartbeat, control.jsonl, live.png), so
            another window can watch and steer it: a Stop from one used to be written and never carried out."""
            session = make_session()
            try:
                attach_folder(supervisor, session.run)
            except BaseException:
                session.close()
                raise
            return session

        supervisor = Supervisor(made_and_attached, paused=paused, gui=True)
        thread = TrainingThread(supervisor)
        thread.event_ready.connect(self._route)  # queued: this object lives in the GUI thread
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._reason = thread, FinishReason.ERROR
        thread.start()

    def _route(self, event: Event) -> None:
        match event:
            case RunInfo():
                self.started_run.emit(event)
            case StatsBatch(stats=stats):
                self.stats_ready.emit(stats)
            case SampleFrame():
                self.frame_ready.emit(event)
            case StateChanged(state=state):
                self.state_changed.emit(state)
            case Refused(step=step, message=message, change=True):
                self.change_refused.emit(step, message)
            case Refused(message=message, stop=True):
                self.stop_refused.emit(message)
            case Refused(step=step, message=message):
                self.alarm.emit(step, message)
            case CheckpointSaved(path=path):
                self.checkpoint_saved.emit(path)
            case Snapshot(payload=payload):
                self.snapshot_ready.emit(payload)
            case DistributionShown(frame=frame):
                self.distribution_ready.emit(frame)
            case ModesMeasured(step=step, modes=modes):
                self.modes_ready.emit(step, modes)
            case QualityScored(step=step, scores=scores, best=best):
                self.quality_ready.emit(step, scores, best)
            case ClassifierScored(step=step, report=report):
                self.classifier_ready.emit(step, report)
            case Changed(step=step, changes=changes):
                self.changed.emit(step, changes)
            case ThreadsChosen():
                self.threads_chosen.emit(event)
            case Scoring(step=step):
                self.scoring.emit(step)
            case Alarm():
                self.health_alarm.emit(event)
            case Rewound(step=step, config=config):
                self.rewound.emit(step, config)
            case Failed(message=message, error=error, summary=summary):
                from ganstudio.core.user_errors import user_errors

                self.failed.emit(message, (summary or str(error)) if isinstance(error, user_errors()) else "")
            case Finished(reason=reason, step=step):
                self._reason, self.finished_step = reason, step

    def _submit(self, kind: CommandKind, fields: dict | None = None) -> None:
        if self._thread is not None:
            self._thread.supervisor.submit(Command(kind.value, fields))

    def pause(self, paused: bool) -> None:
        self._submit(CommandKind.PAUSE if paused else CommandKind.RESUME)

    def step_once(self, kind: CommandKind = CommandKind.STEP) -> None:
        """While paused: one full step (STEP: k D steps and a G step), or one D (STEP_D) or G (STEP_G) update."""
        self._submit(kind)

    def save_checkpoint(self) -> None:
        self._submit(CommandKind.SAVE)

    def rewind(self) -> None:
        self._submit(CommandKind.REWIND)

    def change(self, changes: dict) -> None:
        self._submit(CommandKind.CHANGE, dict(changes))

    def request_snapshot(self) -> None:
        self._submit(CommandKind.SNAPSHOT)

    def stop(self, discard: bool = False) -> None:
        """discard: end without the checkpoint (after one that could not be saved, the user chose to quit)."""
        self._submit(CommandKind.STOP, {"discard": True} if discard else None)

    def stop_and_wait(self, timeout_ms: int = STOP_WAIT_MS, discard: bool = False) -> bool:
        """Stops (saving a checkpoint, unless discard) and joins the thread for at most timeout_ms; True
        when it ended."""
        thread = self._thread
        if thread is None:
            return True
        self.stop(discard)
        ended = thread.wait(timeout_ms)
        if ended:
            self._cleanup()
        return ended

    def _on_thread_finished(self) -> None:
        """Queued after every event of the run; the thread is returning from run(), so wait for it briefly."""
        if self._thread is not None and not self._thread.wait(FINISH_RETRY_MS):
            QTimer.singleShot(FINISH_RETRY_MS, self._on_thread_finished)
            return
        self._cleanup()
        self.finished.emit(self._reason)

    def _cleanup(self) -> None:
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread = None
