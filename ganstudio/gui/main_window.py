"""The main window: setup panel, run controls, live plots and samples, menus and settings."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import create_worker

from ganstudio import __version__
from ganstudio.core.config import DEFAULT_PRESET, TOY_DATASETS, RunConfig, preset
from ganstudio.core.events import Changed, ModesMeasured, QualityScored, RunInfo, SampleFrame, StatsBatch
from ganstudio.core.paths import find_fashion_full
from ganstudio.core.run_data import config_in_folder
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.gui.rate import RateMeter
from ganstudio.gui.settings import AppSettings
from ganstudio.gui.watch_mode import WatchMode
from ganstudio.gui.widgets.distribution_view import DistributionView
from ganstudio.gui.widgets.explorer import TRAINING_RENDER_INTERVAL_MS, ExplorerPanel
from ganstudio.gui.widgets.live_changes import LiveChangesPanel
from ganstudio.gui.widgets.metric_plots import MetricPlots
from ganstudio.gui.widgets.preferences import PreferencesDialog
from ganstudio.gui.widgets.sample_view import SampleView
from ganstudio.gui.widgets.setup_form import SetupForm, VerticalScrollArea
from ganstudio.gui.worker import TrainingController


SNAPSHOT_INTERVAL_MS = 5000
PROBE_DELAY_MS = 150


def _list_devices() -> list[tuple[str, str]]:
    from ganstudio.core.device import available_devices

    return available_devices()


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None):
        super().__init__()
        self.settings = settings or AppSettings()
        self.setWindowTitle("GAN Studio")
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.devices: list[tuple[str, str]] = [("auto", "Auto"), ("cpu", "CPU")]
        self.controller = TrainingController(self)
        self.state = "idle"  # idle | starting | running | paused | stopping
        self.continuable: RunDirectory | None = None  # an opened or stopped run that Start continues
        self._continuable_config = None  # its config.json, read once, compared on every form edit
        self.run_dir: str | None = None
        self.error_dialog: QMessageBox | None = None
        self.rate_meter = RateMeter()
        self._total = 1
        self._keep_best = True  # the running config's quality.keep_best, read once at Start
        self._run_failed = False  # the current run reported a failure (shown in a dialog)
        self._close_when_finished = False  # a close waits for the training thread to end

        self._build_setup()
        self._build_central()
        self._build_controls()
        self._build_menus()
        self._build_status()
        self.watch = WatchMode(self)
        self._connect()

        config = self.settings.last_config() or preset(DEFAULT_PRESET)
        if self.settings.last_config() is None:
            config.train.device = self.settings.default_device
        self.form.set_config(config)
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        self._update_controls()
        QTimer.singleShot(PROBE_DELAY_MS, self._probe_devices)  # after the first paint: importing torch takes ~1 s

    # --- layout ------------------------------------------------------------------------------
    def _build_setup(self) -> None:
        self.form = SetupForm(fashion_full_found=find_fashion_full() is not None)
        self.live = LiveChangesPanel()
        self.live.setEnabled(False)
        self.setup_scroll = VerticalScrollArea(self.form)
        self.setup_scroll.setObjectName("setupScroll")
        # the live panel sits below the scrolling form, not inside it, so Apply is always on screen
        panel = QWidget(objectName="setupPanel")
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.setup_scroll, 1)
        column.addWidget(self.live)
        self.setup_panel = panel

    def _build_central(self) -> None:
        self.plots = MetricPlots()
        self.samples = SampleView()
        self.banner = QLabel(objectName="alarmBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fdecea; color: #611a15; padding: 6px; border: 1px solid #f5c6cb;")
        self.banner_close = QToolButton(text="x")
        self.banner_close.setToolTip("Dismiss")
        self.banner_close.clicked.connect(self._hide_banner)
        banner_row = QWidget()
        row = QHBoxLayout(banner_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.banner, 1)
        self.remedy_row = QHBoxLayout()
        row.addLayout(self.remedy_row)
        row.addWidget(self.banner_close)
        self.banner_row = banner_row
        banner_row.hide()

        training = QSplitter(Qt.Orientation.Horizontal)
        training.addWidget(self.plots)
        training.addWidget(self.samples)
        training.setSizes([640, 480])
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.addTab(training, "Training")
        self.explorer = ExplorerPanel()
        self.tabs.addTab(self.explorer, "Explorer")
        self.distribution = DistributionView()
        self.tabs.addTab(self.distribution, "Distribution")
        self.snapshot_timer = QTimer(self)
        self.snapshot_timer.setInterval(SNAPSHOT_INTERVAL_MS)
        self.snapshot_timer.timeout.connect(self._refresh_live_snapshot)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.setup_panel)
        right = QWidget()
        self.right_layout = QVBoxLayout(right)
        self.right_layout.setContentsMargins(0, 0, 0, 0)
        self.right_layout.addWidget(banner_row)
        self.right_layout.addWidget(self.tabs, 1)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([370, 910])
        self.setCentralWidget(splitter)

    def _build_controls(self) -> None:
        self.start_button = QPushButton("Start", objectName="startButton")
        self.start_button.setToolTip("Start training with these settings (Ctrl+Return)")
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.pause_button.setToolTip("Pause or resume training between steps (Space)")
        self.step_button = QPushButton("Step", objectName="stepButton")
        self.step_button.setToolTip("While paused: one generator step with its k discriminator steps")
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.stop_button.setToolTip("Stop the run, saving a checkpoint; Start then continues it")
        self.progress = QProgressBar(objectName="progressBar")
        self.progress.setFormat("%v / %m steps")
        self.progress.setToolTip("Generator steps done out of the run's total")
        self.rate_label = QLabel("", objectName="rateLabel")
        self.rate_label.setMinimumWidth(200)
        bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(6, 4, 6, 4)
        for button in (self.start_button, self.pause_button, self.step_button, self.stop_button):
            layout.addWidget(button)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.rate_label)
        self.right_layout.insertWidget(0, bar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action(file_menu, "&New run", QKeySequence.StandardKey.New, self.new_run,
                                       "Forget the current run and set up a new one")
        self.open_action = self._action(file_menu, "&Open run folder...", QKeySequence.StandardKey.Open,
                                        self.ask_open_run, "Open a run folder written by the app or the CLI")
        self.open_ckpt_action = self._action(file_menu, "Open &checkpoint to explore...", QKeySequence("Ctrl+E"),
                                             self.ask_explore_checkpoint, "Explore the generator in a checkpoint file")
        self.watch_action = self._action(file_menu, "&Watch run folder...", QKeySequence("Ctrl+Shift+O"),
                                         self.ask_watch_run, "Follow and steer a run that another process is "
                                         "training (a terminal, another machine writing a shared folder)")
        self.stop_watching_action = self._action(file_menu, "Stop watc&hing", None, self.stop_watching,
                                                 "Stop following the watched run; it goes on in its own process")
        self.save_action = self._action(file_menu, "&Save checkpoint", QKeySequence.StandardKey.Save,
                                        self.save_checkpoint, "Write checkpoints/latest.pt now")
        file_menu.addSeparator()
        self.prefs_action = self._action(file_menu, "&Preferences...", QKeySequence.StandardKey.Preferences,
                                         self.show_preferences, "Runs folder and default device")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close, "Quit (a running run is saved)")

        run_menu = self.menuBar().addMenu("&Run")
        self.start_action = self._action(run_menu, "&Start", QKeySequence("Ctrl+Return"), self.start, "Start training")
        self.start_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.pause_action = self._action(run_menu, "&Pause/Resume", QKeySequence(Qt.Key.Key_Space), self.toggle_pause,
                                         "Pause or resume training")
        self.step_action = self._action(run_menu, "S&tep", QKeySequence("Ctrl+T"), self.step_once, "One step while paused")
        self.stop_action = self._action(run_menu, "St&op", QKeySequence("Ctrl+."), self.stop, "Stop the run")

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About GAN Studio", None, self._about, "Version and credits")

    def _action(self, menu, text, shortcut, slot, tip) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_status(self) -> None:
        self.device_label = QLabel("Device: detecting...", objectName="deviceLabel")
        self.state_label = QLabel("Idle", objectName="stateLabel")
        self.watch_label = QLabel("", objectName="watchLabel")
        self.watch_label.setToolTip("The run folder this window follows, and the process that writes it")
        self.watch_label.hide()
        self.statusBar().addPermanentWidget(self.watch_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self.statusBar().addPermanentWidget(self.state_label)

    def _connect(self) -> None:
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.step_button.clicked.connect(self.step_once)
        self.stop_button.clicked.connect(self.stop)
        self.form.config_changed.connect(self._on_form_changed)
        c = self.controller
        c.started_run.connect(self._on_started)
        c.stats_ready.connect(self._on_stats)
        c.frame_ready.connect(self._on_frame)
        c.state_changed.connect(self._on_state)
        c.alarm.connect(self._on_alarm)
        c.checkpoint_saved.connect(lambda path: self.statusBar().showMessage(f"Checkpoint saved: {path}", 5000))
        c.failed.connect(self._on_failed)
        c.snapshot_ready.connect(self.explorer.set_live_state)
        c.changed.connect(self._on_changed)
        c.health_alarm.connect(self._on_health_alarm)
        c.rewound.connect(self._on_rewound)
        self.live.changes_requested.connect(lambda changes: self._steering().change(changes))
        c.distribution_ready.connect(self.distribution.show_frame)
        c.modes_ready.connect(self.distribution.add_modes)
        c.quality_ready.connect(self._on_quality)
        self.distribution.step_requested.connect(self.step_once)
        self.distribution.train_on_drawing.connect(self.train_on_drawing)
        self.explorer.snapshot_wanted.connect(self.refresh_explorer)
        c.finished.connect(self._on_finished)

    # --- actions -----------------------------------------------------------------------------
    def _steering(self):
        """Who the run controls talk to: the worker of this window's run, or a watched run's folder."""
        return self.watch.steering if self.watch.steering is not None else self.controller

    def start(self) -> None:
        if self.state != "idle":
            return
        self.watch.stop()
        problems = self.form.problems()
        if problems:
            self.statusBar().showMessage("Cannot start: " + "; ".join(f"{f}: {r}" for f, r in problems), 8000)
            return
        config = self.form.config()
        self.settings.set_last_config(config)
        from ganstudio.core.session import TrainingSession

        if self.continuable is not None:
            run, steps, device = self.continuable, config.train.steps, config.train.device
            make = lambda: TrainingSession.resume(run, total_steps=steps, device=device)  # noqa: E731
        else:
            runs_root = self.settings.runs_dir
            self.plots.clear()
            self.samples.clear()
            self.distribution.clear()

            def make():
                run = RunDirectory.create(runs_root, config.preset or "run")
                return TrainingSession.start(config, run)
        self._hide_banner()
        self.live.load(config)
        self._keep_best = config.quality.keep_best
        self._set_state("starting")
        self._reset_rate()
        self._run_failed = False
        self.controller.start(make)

    def toggle_pause(self) -> None:
        if self.state in ("running", "paused"):
            self._steering().pause(self.state == "running")

    def step_once(self, which: str = "both") -> None:
        if self.state == "paused":
            self._steering().step_once(which if isinstance(which, str) else "both")

    def train_on_drawing(self, points) -> None:
        """Saves the painted points as a dataset file and starts a new run on them."""
        if self.state != "idle":
            self.statusBar().showMessage("Stop the current run first", 5000)
            return
        if len(points) < 2:
            self.statusBar().showMessage("Paint some points first (tick Draw, then drag on the plot)", 5000)
            return
        import numpy as np

        folder = Path(self.settings.runs_dir).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"drawn-{time.strftime('%Y%m%d-%H%M%S')}.npy"
            np.save(path, np.asarray(points, dtype=np.float32))
        except OSError as exc:
            self._show_error("Cannot save the drawing", f"{folder}: {exc.strerror}")
            return
        self._set_continuable(None)
        self.form.set_drawn(str(path))
        self.start()

    def stop(self) -> None:
        if self.state in ("running", "paused", "starting"):
            self._set_state("stopping")
            self._steering().stop()

    def save_checkpoint(self) -> None:
        if self.state in ("running", "paused"):
            self._steering().save_checkpoint()
        else:
            self.statusBar().showMessage("No run in progress: checkpoints are saved when a run stops", 5000)

    def new_run(self) -> None:
        if self.state != "idle":
            self.statusBar().showMessage("Stop the current run first", 5000)
            return
        self.watch.stop()
        self._set_continuable(None)
        self.run_dir = None
        self.explorer.run_folder = None
        self._hide_banner()
        self.plots.clear()
        self.samples.clear()
        self.progress.setValue(0)
        self._reset_rate()
        self._update_controls()

    def ask_open_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open run folder", self.settings.runs_dir)
        if folder:
            self.open_run(folder)

    def ask_watch_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Watch run folder", self.settings.runs_dir)
        if folder:
            self.watch_run(folder)

    def watch_run(self, folder: str | Path) -> bool:
        """Follows a run another process trains; the run controls then steer it through its folder."""
        if self.state != "idle":
            self.statusBar().showMessage("Stop the current run first", 5000)
            return False
        self.watch.stop()
        return self.watch.start(folder)

    def stop_watching(self) -> None:
        if self.watch.active:
            self.watch.stop()
            self._reset_rate()
            self._set_state("idle")
            self.statusBar().showMessage("Stopped watching; the run goes on in its own process", 8000)

    def continue_here(self) -> None:
        """A watched run whose writer stopped or died, carried on by this window."""
        self._hide_banner()
        self.start()

    def open_run(self, folder: str | Path) -> bool:
        """Restores a run's config, metric history and sample grids; Start then continues it."""
        if self.state != "idle":
            self.statusBar().showMessage("Stop the current run first", 5000)
            return False
        self.watch.stop()
        try:
            run = RunDirectory.open(folder)
            config = config_in_folder(run.read_config(), run.path)
            history = run.history()
            pictures = run.sample_files()
        except (RunError, OSError) as exc:
            self._show_error("Cannot open run", str(exc))
            return False
        from ganstudio.core.imaging import load_png

        self.plots.clear()
        self.samples.clear()
        self.distribution.clear()
        last = 0
        for event in history:
            match event:
                case StatsBatch(stats=stats):
                    self.plots.add_stats(stats)
                    last = stats[-1].step
                case Changed(step=step, changes=changes):
                    self.plots.mark(step, ", ".join(f"{k}={v:g}" for k, v in changes.items()))
                case ModesMeasured(step=step, modes=modes):
                    self.distribution.add_modes(step, modes)
                case QualityScored(step=step, scores=scores, best=best):
                    self.plots.quality.add(step, scores, best)
        self.plots.flush()
        for step, path in pictures:
            try:
                self.samples.add_frame(SampleFrame(step, image=load_png(path), saved=True))
            except OSError:
                continue
        self.form.set_config(config)
        self._set_continuable(run, config)
        self.run_dir = str(run.path)
        self._reset_rate()
        self._hide_banner()
        self.explorer.run_folder = self.run_dir
        self._explore_latest(run)
        self.samples.set_class_names(self.explorer.state.class_names)  # the checkpoint names a conditional run's rows
        self._total = max(1, config.train.steps)
        self.progress.setRange(0, self._total)
        self.progress.setValue(min(last, self._total))
        self.setWindowTitle(f"GAN Studio - {run.path.name}")
        self.statusBar().showMessage(f"Opened {run.path} at step {last:,}; Start continues it", 8000)
        self._update_controls()
        return True

    def ask_explore_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self.explorer.checkpoint_folder(),
                                              "GAN Studio checkpoints (*.pt)")
        if path:
            self.explore_checkpoint(path)

    def explore_checkpoint(self, path: str | Path) -> bool:
        from ganstudio.core.checkpoint import CheckpointError

        try:
            self.explorer.open_checkpoint(path)
        except CheckpointError as exc:
            self._show_error("Cannot open checkpoint", str(exc))
            return False
        self.explorer.default_folder = str(Path(path).resolve().parent)
        self.tabs.setCurrentWidget(self.explorer)
        return True

    def refresh_explorer(self) -> None:
        """*Refresh from training*: a copy from the worker while a run is on, else the run's latest checkpoint."""
        if self.controller.running or (self.watch.active and self.state in ("running", "paused")):
            self._steering().request_snapshot()
        elif self.run_dir:
            self._explore_latest(RunDirectory(self.run_dir))
        else:
            self.statusBar().showMessage("No run to refresh from: start one, or open a run folder", 5000)

    def _explore_latest(self, run: RunDirectory) -> None:
        from ganstudio.core.checkpoint import CheckpointError

        if not run.latest_checkpoint.is_file():
            return
        try:
            self.explorer.open_checkpoint(run.latest_checkpoint)
        except CheckpointError as exc:
            self.statusBar().showMessage(f"Explorer: {exc}", 8000)

    def _refresh_live_snapshot(self) -> None:
        if self.state == "running" and self.tabs.currentWidget() is self.explorer:
            self._steering().request_snapshot()

    def show_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings.runs_dir, self.settings.default_device, self.devices, self)
        if dialog.exec():
            if dialog.runs_dir:
                self.settings.runs_dir = dialog.runs_dir
            self.settings.default_device = dialog.device

    def _about(self) -> None:
        QMessageBox.about(self, "About GAN Studio",
                          f"GAN Studio {__version__}\nTrain and explore Generative Adversarial Networks.\n"
                          "After Goodfellow et al. (2014) and what came after.")

    # --- worker signals ----------------------------------------------------------------------
    def _on_started(self, info: RunInfo) -> None:
        self.run_dir = info.run_dir
        self.explorer.default_folder = info.run_dir
        self.explorer.run_folder = info.run_dir
        self.explorer.set_min_interval(TRAINING_RENDER_INTERVAL_MS)
        self.samples.set_class_names(info.class_names)
        self.snapshot_timer.start()
        self._total = max(1, info.total_steps)
        self.progress.setRange(0, self._total)
        self.progress.setValue(info.start_step)
        self.device_label.setText(f"Device: {info.device}")
        self.setWindowTitle(f"GAN Studio - {Path(info.run_dir).name}")
        self.statusBar().showMessage(f"Training on {info.data}; writing {info.run_dir}", 8000)

    def _on_stats(self, stats: list) -> None:
        self.plots.add_stats(stats)
        step = stats[-1].step
        self.progress.setValue(min(step, self._total))
        self.rate_meter.observe(step, time.monotonic())
        self.rate_label.setText(self.rate_meter.text(step, self._total))

    def _on_quality(self, step: int, record: dict, best: bool) -> None:
        self.plots.quality.add(step, record, best)
        if best and self._keep_best:
            self.statusBar().showMessage(f"New best FD {record['frechet']:.2f} at step {step:,}: saved checkpoints/best.pt",
                                         5000)

    def _on_changed(self, step: int, changes: dict) -> None:
        self.live.applied(changes)
        text = ", ".join(f"{k}={v:g}" for k, v in changes.items())
        self.plots.mark(step, text)
        self.statusBar().showMessage(f"Step {step:,}: {text}", 8000)

    def _on_frame(self, frame: SampleFrame) -> None:
        self.samples.add_frame(frame)

    def _on_state(self, state: str) -> None:
        self.distribution.set_paused(state == "paused")
        self.rate_meter.set_paused(state == "paused")
        self.rate_label.setText(self.rate_meter.text(self.progress.value(), self._total))
        if self.state != "stopping":
            self._set_state(state)

    def _on_alarm(self, step: int, message: str) -> None:
        self._show_banner(step, message, ())

    def _on_health_alarm(self, alarm) -> None:
        paused = " Training paused." if alarm.kind == "nan" else ""
        self._show_banner(alarm.step, f"{alarm.message}{paused} Try:", alarm.remedies)
        self.plots.mark(alarm.step, alarm.kind)

    def _show_banner(self, step: int, message: str, remedies) -> None:
        """The banner stays until dismissed, so it says the step it is about: the run goes on meanwhile."""
        message = f"Step {step:,}: {message}"
        while self.remedy_row.count():
            item = self.remedy_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.remedy_buttons = []
        for i, remedy in enumerate(remedies):
            button = self.add_banner_button(remedy.label, f"remedyButton_{i}", "Applies on the next step"
                                            if remedy.live or remedy.rewind
                                            else "Changes the setup; takes effect in the next run")
            button.clicked.connect(lambda _=False, r=remedy: self.apply_remedy(r))
        self.banner.setText(message)
        self.banner_row.show()
        self.statusBar().showMessage(message, 10000)

    def add_banner_button(self, text: str, name: str, tip: str) -> QPushButton:
        """An action beside the banner's message (the remedies are some)."""
        button = QPushButton(text, objectName=name)
        button.setToolTip(tip)
        self.remedy_row.addWidget(button)
        self.remedy_buttons.append(button)
        return button

    def apply_remedy(self, remedy) -> None:
        from ganstudio.core.config import ConfigError, apply_override, check

        if remedy.rewind:
            self._steering().rewind()
        if remedy.live:
            self._steering().change(remedy.live)
        if remedy.config:
            config = self.form.config()
            try:
                for key, value in remedy.config.items():
                    apply_override(config, f"{key}={json.dumps(value)}")
                check(config)
            except ConfigError as exc:
                self.statusBar().showMessage(f"Cannot apply: {exc}", 8000)
                return
            self.form.set_config(config)
            self.statusBar().showMessage(f"{remedy.label}: set for the next run", 8000)
        self._hide_banner()

    def _on_rewound(self, step: int, config: dict) -> None:
        self.live.load(RunConfig.from_dict(config))
        self.plots.mark(step, "rewind")
        self.statusBar().showMessage(f"Rewound to step {step:,}", 8000)

    def _on_failed(self, text: str) -> None:
        self._run_failed = True
        last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
        self._show_error("Training failed", last, details=text)

    def _on_finished(self, reason: str) -> None:
        self.snapshot_timer.stop()
        self.explorer.set_min_interval(0)
        if reason in ("stopped",) and self.run_dir:
            run = RunDirectory(self.run_dir)
            try:
                config = config_in_folder(run.read_config(), run.path)
                self._set_continuable(run, config)
                if config.data.dataset == "drawn":  # its points are now the run folder's own copy
                    self.form.set_drawn(config.data.path)
            except RunError:
                self._set_continuable(None)
        elif reason == "done":
            self._set_continuable(None)
            self.statusBar().showMessage(f"Run finished: {self.run_dir}", 10000)
        self.distribution.set_paused(False)
        self._reset_rate()
        self._set_state("idle")
        if self._close_when_finished:
            self._close_when_finished = False
            if not self._run_failed:
                QTimer.singleShot(0, self.close)

    # --- state -------------------------------------------------------------------------------
    def _set_continuable(self, run: RunDirectory | None, config=None) -> None:
        self.continuable = run
        self._continuable_config = config if run is not None else None

    def _reset_rate(self) -> None:
        self.rate_meter.reset()
        self.rate_label.setText("")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_label.setText(state.capitalize())
        self._update_controls()

    def _on_form_changed(self, valid: bool) -> None:
        toy = self.form.dataset_combo.currentData() in TOY_DATASETS
        self.tabs.setTabVisible(self.tabs.indexOf(self.distribution), toy)
        saved = self._continuable_config
        if self.continuable is not None and self.state == "idle":
            current = self.form.config()
            # a continued run keeps its config; only its length and device may change
            current.train.steps = saved.train.steps
            current.train.device = saved.train.device
            current.preset = saved.preset
            if current != saved:
                self._set_continuable(None)
                self.statusBar().showMessage("Settings changed: Start begins a new run", 5000)
        self._update_controls()

    def _update_controls(self) -> None:
        idle = self.state == "idle"
        active = self.state in ("running", "paused")
        valid = self.form.is_valid()
        self.start_button.setEnabled(idle and valid)
        self.start_action.setEnabled(idle and valid)
        self.start_button.setText("Continue" if self.continuable is not None else "Start")
        self.pause_button.setEnabled(active)
        self.pause_action.setEnabled(active)
        self.pause_button.setText("Resume" if self.state == "paused" else "Pause")
        self.step_button.setEnabled(self.state == "paused")
        self.step_action.setEnabled(self.state == "paused")
        self.stop_button.setEnabled(self.state in ("running", "paused", "starting"))
        self.stop_action.setEnabled(self.stop_button.isEnabled())
        self.save_action.setEnabled(active)
        self.form.setEnabled(idle)
        self.live.setEnabled(active)
        self.new_action.setEnabled(idle)
        self.open_action.setEnabled(idle)
        self.watch_action.setEnabled(idle)
        self.stop_watching_action.setEnabled(self.watch.active)

    def show_unexpected_error(self, summary: str, details: str) -> None:
        """An exception nothing caught (see gui.errors): a dialog, or the status line while one is open,
        so an error that repeats on every render does not stack dialogs."""
        if self.error_dialog is not None and self.error_dialog.isVisible():
            self.statusBar().showMessage(f"Unexpected error: {summary}", 10000)
        else:
            self._show_error("Unexpected error", summary, details=details)

    def _show_error(self, title: str, text: str, details: str | None = None) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_dialog = box
        box.finished.connect(lambda _=None: setattr(self, "error_dialog", None))
        box.open()

    def _hide_banner(self) -> None:
        self.banner_row.hide()

    def _probe_devices(self) -> None:
        """Lists devices on a pool thread: that needs torch, which takes over a second to import."""
        create_worker(_list_devices, _connect={"returned": self._on_devices})

    def _on_devices(self, devices: list[tuple[str, str]]) -> None:
        self.devices = devices
        self.form.set_devices(devices)
        if self.state == "idle":
            from ganstudio.core.device import describe_device, select_device

            self.device_label.setText(f"Device: {describe_device(select_device('auto'))} available")

    # --- window events -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.state == "idle" and _dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = _dropped_folder(event)
        if folder is None:
            return
        if (Path(folder) / "config.json").is_file():
            self.open_run(folder)
        else:
            self.form.set_image_folder(folder)
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.watch.stop()  # the watched run goes on: it belongs to its own process
        if self.controller.running:
            self.statusBar().showMessage("Saving a checkpoint and stopping...")
            self._set_state("stopping")
            if not self.controller.stop_and_wait():
                # A step or a dataset load is still running: close when it ends, never kill the thread.
                self._close_when_finished = True
                self.statusBar().showMessage("Closing when the current step ends...")
                event.ignore()
                return
            QCoreApplication.sendPostedEvents(self.controller)  # the worker's last words: a failed save
            if self._run_failed:  # the reason stays on screen; closing again quits
                self.statusBar().showMessage("Not closed: the run ended with an error (see the message); "
                                             "close again to quit")
                event.ignore()
                return
        self.settings.set_last_config(self.form.config())
        self.settings.set_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        event.accept()


def _dropped_folder(event) -> str | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    for url in urls:
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            return url.toLocalFile()
    return None

