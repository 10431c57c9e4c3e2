"""TrainingWorker (a QObject living in a QThread) and the controller the window talks to.

The worker owns the TrainingSession. The window never touches the live model: it gets
lists of StepStats (plain floats) and SampleFrames (numpy copies), rate-limited. Control
goes the other way through thread-safe flags checked between steps, never through
queued slots (a slot queued to a busy worker would never run) and never terminate().
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from ganstudio.gui.pacing import paced_interval

STATS_INTERVAL_S = 0.25  # <= 4 stats signals a second, as often as the plots redraw
PICTURE_INTERVAL_S = (1.0, 2.0)  # live pictures at most once a second, at least every 2 s ...
PICTURE_COST_FACTOR = 100  # ... waiting 100x what the last one took in between: ~1 % of training
STOP_WAIT_MS = 2000
FINISH_RETRY_MS = 100  # a worker that said `finished` is returning from run(); look again this soon
REWIND_EVERY = 200  # steps between in-memory snapshots that "rewind" can go back to


@dataclass(frozen=True)
class SampleFrame:
    """One sample picture for the view: an image grid, or real and generated points for toy data."""

    step: int
    image: np.ndarray | None = None  # uint8 (H, W) or (H, W, 3), C-contiguous
    real: np.ndarray | None = None  # float (N, dim)
    fake: np.ndarray | None = None
    saved: bool = False  # True for the grids written to samples/ (the history the slider scrubs)
    final: bool = False  # True for the picture of the step the run ended at


@dataclass(frozen=True)
class RunInfo:
    run_dir: str
    device: str
    data: str
    start_step: int
    total_steps: int
    is_toy: bool


class TrainingWorker(QObject):
    started_run = Signal(object)  # RunInfo
    stats_ready = Signal(object)  # list[StepStats]
    frame_ready = Signal(object)  # SampleFrame
    state_changed = Signal(str)  # "running" | "paused"
    alarm = Signal(int, str)  # the step, and a request the worker refused (a bad change, nothing to rewind to)
    checkpoint_saved = Signal(str)
    snapshot_ready = Signal(object)  # generator state_dict copy + config, for the explorer
    distribution_ready = Signal(object)  # DistributionFrame (toy data only)
    modes_ready = Signal(int, object)  # step, ModeMetrics (ring-8 / grid-25)
    quality_ready = Signal(int, object, bool)  # step, QualityReport.to_record() dict, whether it is the best so far
    changed = Signal(int, object)  # step, dict of hyperparameters changed mid-run
    health_alarm = Signal(object)  # core.health.Alarm
    rewound = Signal(int, object)  # the step training went back to, and its config (as a dict)
    failed = Signal(str)  # traceback text
    finished = Signal(str)  # "done" | "stopped" | "error"

    def __init__(self, make_session: Callable[[], object]):
        super().__init__()
        self._make_session = make_session
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._wake = threading.Event()
        self._save_requested = threading.Event()
        self._snapshot_requested = threading.Event()
        self._lock = threading.Lock()
        self._single_steps: list[str] = []  # "both", "d" or "g", queued while paused
        self._changes: list[dict] = []
        self._rewind_requested = threading.Event()
        self._good_state: dict | None = None
        self._good_step = -REWIND_EVERY
        self.picture_interval = PICTURE_INTERVAL_S[0]
        self.monitor = None

    # --- control, callable from any thread -------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def request_pause(self, paused: bool) -> None:
        if paused:
            self._paused.set()
        else:
            self._paused.clear()
        self._wake.set()

    def request_step(self, which: str = "both") -> None:
        """While paused: one full step ("both": k D steps and a G step), or one D or one G update."""
        with self._lock:
            self._single_steps.append(which)
        self._wake.set()

    def request_changes(self, changes: dict) -> None:
        """Hyperparameter changes, applied before the next step."""
        with self._lock:
            self._changes.append(dict(changes))
        self._wake.set()

    def request_rewind(self) -> None:
        """Go back to the last in-memory snapshot whose stats were all finite."""
        self._rewind_requested.set()
        self._wake.set()

    def request_checkpoint(self) -> None:
        self._save_requested.set()
        self._wake.set()

    def request_snapshot(self) -> None:
        self._snapshot_requested.set()
        self._wake.set()

    # --- the loop, in the worker thread ----------------------------------------------------
    @Slot()
    def run(self) -> None:
        reason = "error"
        session = None
        try:
            session = self._make_session()
            trainer = session.trainer
            from ganstudio.core.device import describe_device
            from ganstudio.core.fast_path import apply_threads

            if trainer.device.type == "cpu":
                apply_threads(trainer.config.perf.threads, gui=True)
            device = f"{describe_device(trainer.device)}; {trainer.fast.describe()}"
            self.started_run.emit(RunInfo(str(session.run.path), device,
                                          trainer.data.describe(), session.step, session.total_steps, trainer.is_toy))
            self.state_changed.emit("paused" if self._paused.is_set() else "running")
            self.monitor = self._make_monitor(session)
            self._emit_picture(session, saved=False)
            self._snapshot(session)
            reason = self._loop(session)
        except Exception:  # noqa: BLE001 - every failure must reach the window, not kill the thread
            self.failed.emit(traceback.format_exc())
            reason = "error"
        finally:
            try:
                if session is not None and reason != "error":
                    self._shut_down(session)
            finally:
                if session is not None:
                    session.close()  # the folder is free again, for this window's Continue or another process
                self.finished.emit(reason)  # always: the window waits for it to let the thread go

    def _shut_down(self, session) -> None:
        """The run's last checkpoint, and its last picture and generator copy for the views (live ones
        lag by up to a few seconds, and the explorer's may be from step 0). A failure here (a full
        disk) is said, not raised: raised, it would skip `finished` and leave the thread, and a
        window closing on it, waiting for ever."""
        try:
            self._emit_stats(session.flush_stats(), session)  # the window's progress ends where the run did
            self._save(session)
        except Exception as exc:  # noqa: BLE001 - reported to the window with its cause
            self.failed.emit(f"{traceback.format_exc()}\nThe final checkpoint was not saved: {exc}")
        try:
            self._emit_picture(session, saved=False, final=True)
            self._snapshot(session, final=True)
        except Exception:  # noqa: BLE001 - reported; the run is over either way
            self.failed.emit(traceback.format_exc())

    def _loop(self, session) -> str:
        last_stats = last_picture = time.monotonic()
        was_paused = self._paused.is_set()
        while True:
            if self._stop.is_set():
                return "stopped"
            if self._save_requested.is_set():
                self._save_requested.clear()
                self._save(session)
            with self._lock:
                changes, self._changes = self._changes, []
            for change in changes:
                self._apply(session, change)
            if self._rewind_requested.is_set():
                self._rewind_requested.clear()
                self._rewind(session)
            if self._snapshot_requested.is_set():
                self._snapshot_requested.clear()
                self._snapshot(session)
            paused = self._paused.is_set()
            if paused != was_paused:
                if paused:  # the window shows every finished step, and its picture, before it says "paused"
                    self._emit_stats(session.flush_stats(), session)
                    self._emit_picture(session, saved=False)
                    last_picture = time.monotonic()
                self.state_changed.emit("paused" if paused else "running")
                was_paused = paused
            if session.done:
                return "done"
            if paused:
                with self._lock:
                    which = self._single_steps.pop(0) if self._single_steps else None
                if which is None:
                    self._wake.wait(0.1)
                    self._wake.clear()
                    continue
                if which in ("d", "g"):
                    (session.trainer.discriminator_step if which == "d" else session.trainer.generator_step)()
                    self._emit_picture(session, saved=False)
                    continue

            progress = session.advance()
            if progress.modes is not None:
                self.modes_ready.emit(session.step, progress.modes)
                self._raise(session, self.monitor.observe_modes(session.step, progress.modes.modes_captured))
            if progress.quality is not None:
                self.quality_ready.emit(session.step, progress.quality.to_record(), progress.best)
            now = time.monotonic()
            if progress.picture is not None:
                self._emit_picture(session, saved=True)
                last_picture = now
            stats = progress.stats
            if paused or now - last_stats >= STATS_INTERVAL_S:
                stats = stats + session.flush_stats()
                last_stats = now
            self._emit_stats(stats, session)
            if last_picture != now and (paused or now - last_picture >= self.picture_interval):
                self._emit_picture(session, saved=False)
                last_picture = now

    def _apply(self, session, change: dict) -> None:
        try:
            applied = session.trainer.apply_changes(change)
        except Exception as exc:  # noqa: BLE001 - a refused change is reported, the run goes on
            self.alarm.emit(session.step, f"Change refused: {exc}")
            return
        self._emit_stats(session.flush_stats(), session)
        session.run.append_event({"step": session.step, "event": "change", **applied})
        self.monitor.set_learning_rates(session.trainer.config.optim.lr_g, session.trainer.config.optim.lr_d)
        self.changed.emit(session.step, applied)

    def _make_monitor(self, session):
        from ganstudio.core.health import HealthMonitor, mean_pairwise_distance

        trainer = session.trainer
        import torch

        real = trainer.data.sample(64, torch.Generator(device=trainer.device).manual_seed(99)).cpu().numpy()
        return HealthMonitor(trainer.config.loss.kind, (trainer.config.optim.lr_g, trainer.config.optim.lr_d),
                             mean_pairwise_distance(real))

    def _raise(self, session, alarms: list) -> None:
        for alarm in alarms:
            session.run.append_event(alarm.to_record())
            if alarm.kind == "nan" and not self._paused.is_set():
                self._paused.set()
            self.health_alarm.emit(alarm)

    def _emit_stats(self, stats: list, session) -> None:
        if not stats:
            return
        self.stats_ready.emit(stats)
        if self.monitor is not None:
            self._raise(session, self.monitor.observe_stats(stats))
        if all(s.is_finite() for s in stats) and session.step - self._good_step >= REWIND_EVERY:
            import copy

            self._good_state = copy.deepcopy({k: v for k, v in session.trainer.state_dict().items()})
            self._good_step = session.step

    def _rewind(self, session) -> None:
        if self._good_state is None:
            self.alarm.emit(session.step, "No good snapshot to rewind to yet")
            return
        import copy

        from ganstudio.core.config import RunConfig

        trainer = session.trainer
        trainer.config = RunConfig.from_dict(self._good_state["config"])  # a change that broke the run is undone
        trainer.load_state_dict(copy.deepcopy(self._good_state))  # the optimizers would alias it
        self.monitor.set_learning_rates(trainer.config.optim.lr_g, trainer.config.optim.lr_d)
        session.run.truncate_metrics(session.step)
        session.run.append_event({"step": session.step, "event": "rewind"})
        self.rewound.emit(session.step, trainer.config.to_dict())

    def _frame(self, session, saved: bool, final: bool = False) -> SampleFrame:
        from ganstudio.core.health import mean_pairwise_distance

        trainer = session.trainer
        if trainer.is_toy:
            fake = trainer.sample(session.toy_noise()).numpy()
            diverse = fake[:64]
            frame = SampleFrame(trainer.step_count, real=np.ascontiguousarray(session.toy_real()),
                                fake=np.ascontiguousarray(fake), saved=saved, final=final)
        else:
            from ganstudio.core.imaging import image_grid

            images = trainer.fixed_samples()
            diverse = images.astype(np.float32) / 127.5 - 1
            frame = SampleFrame(trainer.step_count, image=image_grid(images, nrow=8), saved=saved, final=final)
        if self.monitor is not None and trainer.step_count > 0:
            self._raise(session, self.monitor.observe_diversity(trainer.step_count, mean_pairwise_distance(diverse)))
        return frame

    def _emit_picture(self, session, saved: bool, final: bool = False) -> None:
        """A live picture. On a CPU its forward passes come out of training, so the next one waits
        100x what this took, within 1-2 s (a 28 px DCGAN grid takes ~15 ms: one every ~1.5 s)."""
        started = time.perf_counter()
        self.frame_ready.emit(self._frame(session, saved, final))
        if session.trainer.is_toy:
            from ganstudio.core.distribution import LAB_POINTS, distribution_frame

            real = session.toy_real()[:LAB_POINTS]
            self.distribution_ready.emit(distribution_frame(session.trainer, real, session.toy_noise()[:LAB_POINTS]))
        self.picture_interval = paced_interval(time.perf_counter() - started, PICTURE_COST_FACTOR, *PICTURE_INTERVAL_S)

    def _save(self, session) -> None:
        path = session.save_checkpoint()
        self.checkpoint_saved.emit(str(path))

    def _snapshot(self, session, final: bool = False) -> None:
        trainer = session.trainer
        state = {k: v.detach().to("cpu", copy=True) for k, v in trainer.sampling_generator.state_dict().items()}
        from ganstudio.core.trainer import CHECKPOINT_FORMAT, CHECKPOINT_VERSION

        self.snapshot_ready.emit({"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "generator": state,
                                  "config": trainer.config.to_dict(), "step": trainer.step_count, "final": final})


class TrainingController(QObject):
    """Owns one worker thread at a time and forwards its signals; the window connects to these."""

    started_run = Signal(object)
    stats_ready = Signal(object)
    frame_ready = Signal(object)
    state_changed = Signal(str)
    alarm = Signal(int, str)
    checkpoint_saved = Signal(str)
    snapshot_ready = Signal(object)
    distribution_ready = Signal(object)
    modes_ready = Signal(int, object)
    quality_ready = Signal(int, object, bool)
    changed = Signal(int, object)
    health_alarm = Signal(object)
    rewound = Signal(int, object)
    failed = Signal(str)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, make_session: Callable[[], object], paused: bool = False) -> None:
        if self.running:
            raise RuntimeError("a run is already in progress")
        thread = QThread()
        thread.setObjectName("TrainingThread")
        worker = TrainingWorker(make_session)
        worker.request_pause(paused)
        worker.moveToThread(thread)
        for name in ("started_run", "stats_ready", "frame_ready", "state_changed", "alarm",
                     "checkpoint_saved", "snapshot_ready", "distribution_ready", "modes_ready", "quality_ready", "changed", "health_alarm", "rewound", "failed"):
            getattr(worker, name).connect(getattr(self, name))
        # Direct: quit the thread's event loop from the worker itself, so stop_and_wait() can join it
        # while the GUI thread is blocked; the queued _on_finished then tidies up and re-emits.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        worker.finished.connect(self._on_finished)
        thread.started.connect(worker.run)
        self._thread, self._worker = thread, worker
        thread.start()

    def pause(self, paused: bool) -> None:
        if self._worker:
            self._worker.request_pause(paused)

    def step_once(self, which: str = "both") -> None:
        if self._worker:
            self._worker.request_step(which)

    def save_checkpoint(self) -> None:
        if self._worker:
            self._worker.request_checkpoint()

    def rewind(self) -> None:
        if self._worker:
            self._worker.request_rewind()

    def change(self, changes: dict) -> None:
        if self._worker:
            self._worker.request_changes(changes)

    def request_snapshot(self) -> None:
        if self._worker:
            self._worker.request_snapshot()

    def stop(self) -> None:
        if self._worker:
            self._worker.request_stop()

    def stop_and_wait(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Stops (saving a checkpoint) and joins the thread for at most timeout_ms; True when it ended."""
        if not self.running:
            return True
        thread = self._thread
        self.stop()
        ended = thread.wait(timeout_ms)
        if ended:
            self._cleanup()
        return ended

    def _on_finished(self, reason: str) -> None:
        if self._thread is not None and not self._thread.wait(FINISH_RETRY_MS):
            QTimer.singleShot(FINISH_RETRY_MS, lambda: self._on_finished(reason))
            return
        self._cleanup()
        self.finished.emit(reason)

    def _cleanup(self) -> None:
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread = self._worker = None
