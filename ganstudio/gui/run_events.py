"""What the run says, routed to the window's views: the training worker's signals, one handler each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from ganstudio.core.config import RunConfig
from ganstudio.core.events import Alarm, FinishReason, RunInfo, RunState, ThreadsChosen
from ganstudio.core.runlog import RunDirectory
from ganstudio.gui.errors import last_line
from ganstudio.gui.run_phase import RunPhase

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow
    from ganstudio.gui.worker import TrainingController


SCORING = "Step {step:,}: scoring the samples' quality (seconds on a CPU)…"  # until the scores arrive


class RunEvents(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self._refusal_shown = False  # the banner says a request the run refused

    def attach(self, c: TrainingController) -> None:
        w = self.window
        c.started_run.connect(self._on_started)
        c.stats_ready.connect(self._on_stats)
        c.frame_ready.connect(w.samples.add_frame)
        c.state_changed.connect(self._on_state)
        c.alarm.connect(self._on_refused)
        c.change_refused.connect(self.window.refused_change)
        c.stop_refused.connect(self._on_stop_refused)
        c.checkpoint_saved.connect(self._on_checkpoint_saved)
        c.failed.connect(self._on_failed)
        c.snapshot_ready.connect(w.explorer.set_live_state)
        c.changed.connect(w.on_changed)
        c.threads_chosen.connect(self._on_threads_chosen)
        c.scoring.connect(lambda step: w.statusBar().showMessage(SCORING.format(step=step)))
        c.health_alarm.connect(self._on_health_alarm)
        c.rewound.connect(self._on_rewound)
        c.distribution_ready.connect(w.distribution.show_frame)
        c.modes_ready.connect(w.distribution.add_modes)
        c.quality_ready.connect(self._on_quality)
        c.classifier_ready.connect(w.classifier.add)
        c.finished.connect(self._on_finished)

    def _on_started(self, info: RunInfo) -> None:
        w = self.window
        w.run_dir = info.run_dir
        w.explorer.set_run_folder(info.run_dir)
        w.classifier.set_run_folder(info.run_dir, w.form.config())  # the config Start trained with
        from ganstudio.gui.widgets.explorer import TRAINING_RENDER_INTERVAL_MS

        w.explorer.set_min_interval(TRAINING_RENDER_INTERVAL_MS)
        w.samples.set_class_names(info.class_names)
        w.snapshot_timer.start()
        w.plots.keep_until(info.start_step)  # a run carried on from a checkpoint before the log's end
        w.controls.set_run(info.total_steps, info.start_step)
        w.device_label.setText(f"Device: {info.device}")
        w.setWindowTitle(f"GAN Studio - {Path(info.run_dir).name}")
        w.statusBar().showMessage(f"Training on {info.data}; writing {info.run_dir}", 8000)

    def _on_threads_chosen(self, event: ThreadsChosen) -> None:
        w = self.window
        w.device_label.setText(f"Device: {event.device}")
        w.statusBar().showMessage(f"Step {event.step:,}: {event.message}", 10000)

    def _on_stats(self, stats: list) -> None:
        w = self.window
        w.plots.add_stats(stats)
        w.controls.show_step(stats[-1].step)

    def _on_quality(self, step: int, record: dict, best: bool) -> None:
        w = self.window
        w.plots.quality.add(step, record, best)
        if w.statusBar().currentMessage() == SCORING.format(step=step):
            w.statusBar().clearMessage()
        if best and w.keep_best:
            w.statusBar().showMessage(
                f"New best FD {record['frechet']:.2f} at step {step:,}: saved checkpoints/best.pt", 5000
            )

    def _on_state(self, state: RunState) -> None:
        w = self.window
        paused = state is RunState.PAUSED
        w.distribution.set_paused(paused)
        w.controls.set_paused(paused)
        if w.state is not RunPhase.STOPPING:
            w.set_phase(RunPhase.of(state))

    def _on_refused(self, step: int, message: str) -> None:
        """A request the run refused (a checkpoint it could not write, nothing to rewind to): said in the
        banner until the run saves or ends, after which it no longer holds. The bar goes to its step: a step
        whose statistics could not be logged (a full disk) was never shown."""
        self.window.controls.show_position(step)
        self.window.show_alarm(step, message)
        self._refusal_shown = True

    def _forget_refusal(self) -> None:
        if self._refusal_shown:
            self.window.banner.hide()
        self._refusal_shown = False

    def _on_checkpoint_saved(self, path: str) -> None:
        self._forget_refusal()
        self.window.statusBar().showMessage(f"Checkpoint saved: {path}", 5000)

    def _on_stop_refused(self, message: str) -> None:
        """The run paused instead of ending: its checkpoint could not be saved (a full disk). Closing, the
        window asks whether to quit without it; otherwise it says why, and Stop tries again."""
        w = self.window
        w.set_phase(RunPhase.PAUSED)
        if w.close_when_finished:
            w.close_when_finished = False
            w.offer_quit_without_saving(message)
        else:
            w.errors.show("Not saved", message)

    def _on_health_alarm(self, alarm: Alarm) -> None:
        w = self.window
        w.plots.mark(alarm.step, alarm.kind)
        if w.banner.keeps_over(alarm.step, alarm.kind):
            return
        self._refusal_shown = False  # the banner says this now
        paused = " Training paused." if alarm.kind == "nan" else ""
        message = f"{alarm.message}{paused}{' Try:' if alarm.remedies else ''}"
        w.show_alarm(alarm.step, message, alarm.remedies, health=alarm.kind)

    def _on_rewound(self, step: int, config: dict) -> None:
        w = self.window
        w.live.load(RunConfig.from_dict(config))
        w.plots.keep_until(step)
        w.plots.mark(step, "rewind")
        w.statusBar().showMessage(f"Rewound to step {step:,}", 8000)

    def _on_failed(self, text: str, reason: str) -> None:
        """A bad input (a config, a data file, a checkpoint) is said in its own words; only a bug shows
        its traceback."""
        w = self.window
        w.run_failed = True
        if reason:
            w.errors.show("The run could not go on", reason)
            return
        w.errors.show("Training failed", last_line(text), details=text)

    def _on_finished(self, reason: FinishReason) -> None:
        w = self.window
        self._forget_refusal()
        if reason in (FinishReason.STOPPED, FinishReason.DONE):  # saved at this step, whatever the last stats said
            w.controls.show_position(w.controller.finished_step)
        w.snapshot_timer.stop()
        w.explorer.set_min_interval(0)
        if reason in (FinishReason.STOPPED, FinishReason.DONE) and w.run_dir:  # Start carries it on, or begins anew
            step = w.controller.finished_step
            why = w.files.adopt(RunDirectory(w.run_dir), step)
            if reason is FinishReason.DONE:
                more = "; raise Steps to carry it on" if why is None else ""
                w.statusBar().showMessage(f"Run finished at step {step:,}: {w.run_dir}{more}", 15000)
            elif why is not None:
                w.statusBar().showMessage(f"Run stopped. {why}", 15000)
        w.distribution.set_paused(False)
        w.controls.reset_rate()
        w.set_phase(RunPhase.IDLE)
        if reason is FinishReason.ERROR:  # another window took the run's lock between Continue's look and the start
            w.files.follow_its_holder()
        if w.close_when_finished:
            w.close_when_finished = False
            if not w.run_failed:
                QTimer.singleShot(0, w.close)
