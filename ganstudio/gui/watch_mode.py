"""The main window in watch mode: a run another process writes fills the same widgets as a run of its
own, and the run controls write commands to the run's folder instead of talking to a worker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from ganstudio.core.config import RunConfig, live_values
from ganstudio.core.control import Heartbeat
from ganstudio.core.events import FinishReason, event_from_record
from ganstudio.core.process_state import WriterProcess
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.wording import LOST_PEER, sentence
from ganstudio.gui.run_phase import RunPhase
from ganstudio.gui.score_history import SCORE_KINDS, draw_scores
from ganstudio.gui.watch import FolderSteering, RunWatcher

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow

WATCH_LABEL_PATH_PX = 300


def _describe(beat: Heartbeat | None) -> str:
    return f"pid {beat.pid} on {beat.host}" if beat is not None else "no heartbeat yet"


def _writing(beat: Heartbeat) -> str:
    return f"The process writing this run ({_describe(beat)})"


def _silence(beat: Heartbeat, seconds: float, state: WriterProcess | None, folder_went: bool) -> str:
    """Why a writer that is not stopped went quiet, as far as this machine can tell (state: its process here;
    folder_went: its folder was away since its last beat)."""
    writing = _writing(beat)
    if state is WriterProcess.GONE and folder_went:  # it could not say so: it had no folder to write in
        return (
            f"{writing} ended while its folder was away: a run whose folder goes stops, and does not make it again "
            "(its own last line says so where it was started)."
        )
    if state is WriterProcess.GONE:
        return f"{writing} has ended without saying so: it was killed or crashed."
    return f"{writing} has not been heard from for {seconds:.0f} s: it has probably died."


def _led_by_launcher(failure: str, launcher: str) -> str:
    """The run's own reason, led by what only its launcher knows: which rank a signal killed. The launcher's line
    goes on with a rank's words and the command line's advice, which the banner gives in its own."""
    killed, found, _ = launcher.partition(f": {LOST_PEER}")
    if found:
        return f"{killed}: {failure}" if failure else killed
    return failure or launcher


class WatchMode(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.watcher: RunWatcher | None = None
        self.steering: FolderSteering | None = None
        self.run: RunDirectory | None = None
        self.config: RunConfig | None = None
        self._alarm: tuple[int, str] | None = None  # the banner's alarm, for the remedies that follow it
        self._message = ""
        self._remedies: dict[tuple[int, str], tuple] = {}
        self._stop_asked = False
        self._failure = ""  # the reason the run's last failure logged, said when its heartbeat says it failed
        # what asked the run's last logged stop for it (a signal), and at which step: said when the run stops there
        self._stop_said: tuple[int, str] | None = None
        self._length_read_at = -1
        self._writer_stopped = False  # the banner says the writer is stopped (SIGSTOP): it may be continued
        self._launcher_said = ""  # how the launcher of a run this window started says its processes ended
        self._lost_for: float | None = None  # the silence the banner says the writer died after
        self._folder_went = False  # the folder was away since the writer's last heartbeat

    @property
    def active(self) -> bool:
        return self.watcher is not None

    @property
    def _watched_run(self) -> RunDirectory:
        """The folder start() opened: every watcher callback comes after it."""
        if self.run is None:
            raise RuntimeError("no run folder has been watched")
        return self.run

    @property
    def _live_watcher(self) -> RunWatcher:
        if self.watcher is None:
            raise RuntimeError("the run folder is no longer watched")
        return self.watcher

    def start(self, folder: str | Path) -> bool:
        w = self.window
        try:
            run = RunDirectory.open(folder)
            config = run.read_config()
        except (RunError, OSError) as exc:
            w.errors.show("Cannot watch run", str(exc))
            return False
        self.run, self.config = run, config
        self._forget_log()  # the last folder's are not this one's
        self._writer_stopped = False
        self._launcher_said, self._lost_for, self._folder_went = "", None, False
        self._length_read_at = -1  # the step config.json was last read again at, for a longer run
        w.files.leave_run()
        w.form.set_config(config)
        w.live.load(config)
        w.run_dir = str(run.path)
        w.explorer.set_run_folder(w.run_dir)
        w.classifier.set_run_folder(w.run_dir, config)
        w.controls.set_run(config.train.steps, 0)
        w.setWindowTitle(f"GAN Studio - watching {run.path.name}")
        self.steering = FolderSteering(run.path, lambda text: w.statusBar().showMessage(text, 8000))
        watcher = self.watcher = RunWatcher(run.path, self)
        watcher.stats_ready.connect(self._on_stats)
        watcher.records.connect(self._on_records)
        watcher.restarted.connect(self._on_restarted)
        watcher.frame_ready.connect(w.samples.add_frame)
        watcher.distribution_ready.connect(w.distribution.show_frame)
        watcher.heartbeat.connect(self._on_heartbeat)
        watcher.writer_lost.connect(self._on_lost)
        watcher.writer_replaced.connect(self._on_writer_replaced)
        watcher.folder_gone.connect(self._on_folder_gone)
        watcher.snapshot_ready.connect(self._on_snapshot)
        w.set_phase(RunPhase.STARTING)
        self._show_label()
        self._explore_newest()
        w.snapshot_timer.start()
        watcher.start()
        return True

    def stop(self) -> None:
        """Stops following the folder; the run itself goes on in its own process. The device shown is then this
        machine's again, not the watched writer's, whatever the window does next (New run, Open run folder)."""
        self.window.snapshot_timer.stop()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher.deleteLater()
            self.window.show_local_device()
            self.window.setWindowTitle(f"GAN Studio - {self._watched_run.path.name}")  # its views stay, unwatched
        self.watcher = self.steering = None
        self.window.watch_label.hide()

    def leave(self) -> None:
        """*Stop watching*: the window is free for its own runs again."""
        if self.active:
            watcher = self._live_watcher
            gone = watcher.lost or watcher.finished
            self.stop()
            self.window.controls.reset_rate()
            self.window.set_phase(RunPhase.IDLE)
            goes_on = "" if gone else "; the run goes on in its own process"
            self.window.statusBar().showMessage(f"Stopped watching {self._watched_run.path.name}{goes_on}", 8000)

    def _show_label(self, state: str | None = None) -> None:
        """The folder's path is cut in its middle to WATCH_LABEL_PATH_PX (the whole path in the tooltip): a
        permanent label as long as a deep path left the status bar's messages a few words."""
        beat = self.watcher.last_beat if self.watcher else None
        label = self.window.watch_label
        path = str(self._watched_run.path)
        shown = label.fontMetrics().elidedText(path, Qt.TextElideMode.ElideMiddle, WATCH_LABEL_PATH_PX)
        label.setText(f"watching {shown} ({state or _describe(beat)})")
        label.setToolTip(f"{path}\nThe run folder this window follows, and the process that writes it")
        label.show()

    # --- what the folder says ------------------------------------------------------------------
    def _on_stats(self, stats: list) -> None:
        w = self.window
        w.plots.add_stats(stats)
        step = stats[-1].step
        at_last_step = self.config is not None and step >= self.config.train.steps
        if at_last_step and step > self._length_read_at:  # once a step: not a file read every poll past the end
            self._length_read_at = step
            self._read_length()
            at_last_step = self.config is not None and step >= self.config.train.steps
        w.controls.show_position(step)
        watcher = self._live_watcher
        if watcher.last_beat is None and not watcher.finished and at_last_step:
            self._on_finished(step)  # a run with no heartbeat (a window's) at its last step has ended

    def _read_length(self) -> None:
        """config.json again, once the log reaches the run's known length: a run carried on elsewhere
        (`train --resume --steps N`, another window's *Continue*) was given more steps there, and the bar
        stood at "1500 / 1500 steps, ETA 00:00" while it trained on."""
        config = self._read_config()
        if config is not None and self.config is not None and config.train.steps != self.config.train.steps:
            self._show_config(config)

    def _read_config(self) -> RunConfig | None:
        try:
            return self._watched_run.read_config()
        except (RunError, OSError):
            return None

    def _show_config(self, config: RunConfig) -> None:
        """The run's length, setup and live values as config.json says: a writer that took the run on may
        have been given other steps or rates (`train --resume --steps N --set optim.lr_d=...`)."""
        self.config = config
        w = self.window
        w.controls.set_run(config.train.steps, w.controls.step)
        w.form.set_config(config)
        w.live.applied(live_values(config))  # a field being typed in is left as it is
        w.classifier.set_run_folder(w.run_dir, config)  # its k: a baseline's updates against a score's step

    def _on_restarted(self) -> None:
        """The log began again: a run trained over or carried on from an earlier checkpoint (a folder emptied
        under the window is said gone: RunWatcher._folder_gone)."""
        w = self.window
        self._forget_log()  # read again from its start: an alarm or a stop's reason of the old log is not this one's
        w.plots.clear()
        w.distribution.clear()
        w.classifier.clear()
        w.statusBar().showMessage(
            "The run's log was read again from its start: the run was carried on from its last checkpoint (the steps "
            "logged after it dropped) or trained over",
            8000,
        )

    def _forget_log(self) -> None:
        """What was learnt from the log read so far: its last alarm and remedies, failure, stop and its reason."""
        self._alarm, self._remedies, self._failure = None, {}, ""
        self._stop_said = None
        self._stop_asked = False  # a window's stop command reached the run (its log acknowledges it)

    def _on_records(self, records: list[dict], news: bool) -> None:
        """The scores go to their charts together (draw_scores); the rest one by one, in order."""
        scores = []
        for record in records:
            if record["event"] not in SCORE_KINDS:
                self._on_record(record, news)
                continue
            try:
                scores.append(event_from_record(record))
            except (KeyError, TypeError, ValueError):  # a record this version cannot read, left out as history does
                continue
        draw_scores(self.window, [score for score in scores if score is not None])

    def _on_record(self, record: dict, news: bool) -> None:
        w = self.window
        kind, step = record["event"], int(record["step"])
        if kind == "change":
            changes = {k: v for k, v in record.items() if k not in ("step", "event")}
            if news:
                w.on_changed(step, changes)
            else:
                w.plots.mark(step, ", ".join(f"{k}={v:g}" for k, v in changes.items()))
        elif kind == "rewind":
            w.plots.mark(step, "rewind")
            if news:
                self._reload_live_config()
                w.statusBar().showMessage(f"Rewound to step {step:,}", 8000)
        elif kind == "alarm":
            w.plots.mark(step, str(record.get("kind", "alarm")))
            if news:
                self._show_alarm(step, str(record.get("kind", "")), str(record.get("message", "")))
        elif kind == "remedies":
            from ganstudio.core.follow import remedies_from_record

            key = (step, str(record.get("kind", "")))
            self._remedies[key] = remedies_from_record(record)
            if news and self._alarm == key:
                self._show_alarm(*key, self._message)
        elif kind == "failed":
            self._failure = str(record.get("message", ""))
        elif kind == "stopping":  # what asked the process to stop: a signal, its launcher gone
            self._stop_said = (step, str(record.get("message", "")))
        elif kind == "refused" and news:
            if record.get("change") is True:
                w.refused_change(step, str(record.get("message", "")))
            else:
                w.statusBar().showMessage(f"Step {step:,}: the run refused: {record.get('message', '')}", 10000)
        elif kind == "command" and record.get("kind") == "stop" and "refused" not in record:
            self._stop_asked, self._stop_said = True, None  # a window's stop: its own words say it
            if news:
                w.statusBar().showMessage(f"Step {step:,}: the run got the stop command", 5000)
        elif kind == "command" and news:
            said = (
                f"refused a command: {record['refused']}"
                if "refused" in record
                else f"got the {record.get('kind', '')} command"
            )
            w.statusBar().showMessage(f"Step {step:,}: the run {said}", 5000)

    def _show_alarm(self, step: int, kind: str, message: str) -> None:
        if self.window.banner.keeps_over(step, kind):  # its remedies, coming later, are not news either
            return
        self._alarm, self._message = (step, kind), message
        remedies = self._remedies.get((step, kind), ())
        self.window.show_alarm(step, f"{message} Try:" if remedies else message, remedies, health=kind)

    def _reload_live_config(self) -> None:
        """After a rewind the run goes on with the config it had then; config.json says which."""
        if (config := self._read_config()) is not None:
            self.window.live.load(config)

    def _on_heartbeat(self, beat: Heartbeat) -> None:
        w = self.window
        self._folder_went = False
        self._show_label()
        if beat.device:
            w.device_label.setText(f"Device: {beat.device} (on {beat.host})")
        # a writer came back (continued after a stop, or a new one took the run on)
        if (w.state is RunPhase.IDLE or self._writer_stopped) and not beat.ended:
            w.banner.hide()
            w.files.set_continuable(None)
            if not self._writer_stopped and (config := self._read_config()) is not None:
                self._show_config(config)  # a new writer, which may train on with other steps or rates
            self._writer_stopped = False
        if beat.ended:
            self._on_ended(beat)
            return
        phase = RunPhase(beat.state)  # a writer's state before it ends is one of the window's phases
        paused = phase is RunPhase.PAUSED
        if paused != w.controls.rate_meter.paused:
            w.controls.set_paused(paused)
        w.distribution.set_paused(paused)
        w.controls.show_beat(beat.step, beat.time)
        if not (w.state is RunPhase.STOPPING and phase in (RunPhase.RUNNING, RunPhase.PAUSED)):
            w.set_phase(phase)

    def _on_ended(self, beat: Heartbeat) -> None:
        w = self.window
        self._live_watcher.tick()  # what the run wrote after its last heartbeat
        reason = FinishReason(beat.state)  # an ended writer's state says why it ended
        if reason is FinishReason.DONE:
            self._on_finished(beat.step)
            return
        w.controls.show_position(beat.step)
        w.controls.reset_rate()
        w.set_phase(RunPhase.IDLE)
        how = {FinishReason.NAN: "stopped on a NaN/Inf loss", FinishReason.ERROR: "failed"}.get(reason, "stopped")
        # a stop a window asked for, or one with no alarm before it (Ctrl-C, SIGTERM); `--on-alarm stop`
        # stops after an alarm, which stays a fault's red
        asked = reason is FinishReason.STOPPED and (self._stop_asked or self._alarm is None)
        failure = _led_by_launcher(beat.reason or self._failure, self._launcher_said)
        why = f" {sentence(failure.rstrip('.'))}." if reason is FinishReason.ERROR and failure else ""
        # a reason logged before the run trained on (a stop, then a resume) is not why it stopped now
        if reason is FinishReason.STOPPED and self._stop_said is not None and self._stop_said[0] >= beat.step:
            why = f" {sentence(self._stop_said[1].rstrip('.'))}."
        self._offer_continue(beat.step, f"The run {how} ({_describe(beat)}).{why}", calm=asked)

    def _on_finished(self, step: int) -> None:
        """Start carries a finished run on, once Steps goes past its last step."""
        w = self.window
        self._live_watcher.mark_finished(step)
        w.controls.show_position(step)
        w.controls.reset_rate()
        w.set_phase(RunPhase.IDLE)
        why = w.files.adopt(self._watched_run, written_elsewhere=True)
        more = "; raise Steps to carry it on here" if why is None else f". {why}"
        self._show_label("finished")
        w.statusBar().showMessage(f"The watched run finished at step {step:,}{more}", 15000)
        w.update_controls()

    def _on_lost(self, seconds: float) -> None:
        w = self.window
        beat, state = self._live_watcher.last_beat, self._live_watcher.writer_state
        w.controls.reset_rate()
        if beat is not None and state is WriterProcess.STOPPED:
            self._on_writer_stopped(beat)
            return
        w.set_phase(RunPhase.IDLE)
        self._lost_for = seconds
        if beat is not None:
            message = _silence(beat, seconds, state, self._folder_went)
        else:
            message = f"Nothing has written to this run for {seconds:.0f} s, and no process says it trains it."
        if said := _led_by_launcher("", self._launcher_said):
            message += f" {sentence(said.rstrip('.'))}."
        self._offer_continue(w.controls.step, message)

    def launcher_said(self, folder: Path, line: str) -> None:
        """The last line of the launcher of the watched run, which this window started, as it ended: said in the
        banner at once when the run has ended, its writer was found dead or its folder is gone, else when it is."""
        if self.watcher is None or self._watched_run.path != folder:
            return
        self._launcher_said = line
        beat = self.watcher.last_beat
        if beat is not None and beat.ended:
            self._on_ended(beat)
        elif self.watcher.lost and self._lost_for is not None:
            self._on_lost(self._lost_for)
        elif self.watcher.gone:
            self._say_folder_gone()

    def _on_writer_stopped(self, beat: Heartbeat) -> None:
        """A writer on this machine that is stopped still holds the run, and goes on once it is continued: the
        window goes on watching it, paused, with nothing to carry on here (Continue here would be refused)."""
        w = self.window
        w.set_phase(RunPhase.PAUSED)
        w.show_alarm(
            beat.step,
            f"{_writing(beat)} is stopped (Ctrl+Z or SIGSTOP): it carries on "
            f"where it was, and back in this window, once it is continued (fg, or kill -CONT {beat.pid}).",
            calm=True,
        )
        self._writer_stopped = True

    def _on_writer_replaced(self) -> None:
        """Another window carried the ended or dead run on: it writes no heartbeat, so the run is followed by
        its log, and this window no longer offers to continue it (the other one holds it). It may have given
        the run more steps or other rates."""
        w = self.window
        w.banner.hide()
        w.files.set_continuable(None)
        if (config := self._read_config()) is not None:
            self._show_config(config)
        w.set_phase(RunPhase.STARTING)
        self._show_label()
        w.statusBar().showMessage("Another process carried the run on (one without a heartbeat, a window)", 8000)

    def _on_folder_gone(self, gone: bool) -> None:
        """Nothing can be followed or carried on while the folder is away; back, it is followed as before (its
        writer's next heartbeat, or its silence, says the rest)."""
        w = self.window
        if not gone:
            w.banner.hide()
            self._show_label()
            w.statusBar().showMessage("The run folder is back: following the run again", 5000)
            beat = self._live_watcher.last_beat
            if beat is not None and beat.ended:  # how it ended, and what can carry it on, said again
                self._on_ended(beat)
            return
        self._folder_went = True
        w.controls.reset_rate()
        w.files.set_continuable(None)
        w.set_phase(RunPhase.IDLE)
        self._show_label("folder gone")
        self._say_folder_gone()

    def _say_folder_gone(self) -> None:
        """With the launcher's last line once the processes this window started have ended: the folder's
        return would otherwise be the only news that they had."""
        gone = f"The run folder {self._watched_run.path} is gone (moved, removed, emptied, or its share unmounted)"
        if said := _led_by_launcher("", self._launcher_said):
            message = (
                f"{gone}, and the processes that trained it have ended: {said.rstrip('.')}. Put it back to continue it."
            )
        else:
            message = f"{gone}: put it back to follow the run."
        self.window.show_alarm(self.window.controls.step, message)

    def _offer_continue(self, step: int, message: str, calm: bool = False) -> None:
        """The run is on disk up to its last checkpoint: this window can carry it on, with the config
        it has now (config.json holds the live changes made while it was watched)."""
        w = self.window
        problem = w.files.adopt(self._watched_run, written_elsewhere=True)
        if problem is not None:
            w.show_alarm(step, f"{message} {problem}", calm=calm)
            return
        w.show_alarm(step, message, calm=calm)
        button = w.banner.add_button(
            "Continue here", "continueHereButton", "Carry the run on in this window from its latest checkpoint"
        )
        button.clicked.connect(w.files.continue_here)
        w.update_controls()

    def _explore_newest(self) -> None:
        """The newer of the run's last generator copy and its latest checkpoint; with neither that reads, the
        explorer empties (the last run's generator stood under this run's name), and a copy of the same model
        keeps the explorer's latents, ends and sliders."""
        from ganstudio.core.control import snapshot_path

        run = self._watched_run
        candidates = [p for p in (snapshot_path(run.path), run.latest_checkpoint) if p.is_file()]
        if not candidates or not self._on_snapshot(str(max(candidates, key=lambda p: p.stat().st_mtime_ns))):
            self.window.explorer.unload(f"No generator from {run.path.name} yet: it shows here once the run saves one")

    def _on_snapshot(self, path: str) -> bool:
        from ganstudio.core.checkpoint import CheckpointError

        try:
            self.window.explorer.open_checkpoint(path)
        except CheckpointError as exc:
            self.window.statusBar().showMessage(f"Explorer: {exc}", 8000)
            return False
        self.window.samples.set_class_names(self.window.explorer.state.grid_row_names)  # a conditional run's rows
        return True
