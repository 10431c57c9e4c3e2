"""The main window: lays out the views and routes the run's events to them, nothing more.

The views each do one job (run controls, alarm banner, setup form, plots, samples, explorer);
menus live in window_actions, what each phase allows in run_phase, opening runs and
checkpoints in run_files, watching another process's run in watch_mode.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QPaintEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ganstudio.core.config import DEFAULT_PRESET, TOY_DATASETS, preset
from ganstudio.core.events import CommandKind, Remedy
from ganstudio.core.paths import find_fashion_full
from ganstudio.gui.device_probe import DeviceProbe, warm_engine_soon
from ganstudio.gui.distributed_launch import DistributedLaunch
from ganstudio.gui.errors import ErrorDialogs
from ganstudio.gui.run_events import RunEvents
from ganstudio.gui.run_files import RunFiles
from ganstudio.gui.run_phase import RunAction, RunPhase
from ganstudio.gui.set_regenerator import SetRegenerator
from ganstudio.gui.settings import AppSettings
from ganstudio.gui.watch import FolderSteering
from ganstudio.gui.watch_mode import WatchMode
from ganstudio.gui.widgets.alarm_banner import AlarmBanner
from ganstudio.gui.widgets.fitting_status_bar import FittingStatusBar
from ganstudio.gui.widgets.live_changes import LiveChangesPanel
from ganstudio.gui.widgets.run_controls import RunControls
from ganstudio.gui.window_actions import NO_RUN, WindowActions
from ganstudio.gui.window_size import first_launch_geometry, smallest_window
from ganstudio.gui.worker import TrainingController

if TYPE_CHECKING:  # built once the event loop runs (views.py): pyqtgraph and superqt load after the first paint
    from ganstudio.gui.widgets.classifier_view import ClassifierView
    from ganstudio.gui.widgets.distribution_view import DistributionView
    from ganstudio.gui.widgets.explorer import ExplorerPanel
    from ganstudio.gui.widgets.metric_plots import MetricPlots
    from ganstudio.gui.widgets.sample_view import SampleView
    from ganstudio.gui.widgets.setup_form import SetupForm
    from ganstudio.gui.widgets.vertical_scroll_area import VerticalScrollArea

SNAPSHOT_INTERVAL_MS = 5000
PROBE_DELAY_MS = 150
DETECTING_DEVICE = "Device: detecting..."  # until the device probe answers


# A pool thread that ran a job on every core (a classifier, the baseline) keeps torch's OpenMP team, a
# sleeping worker per extra core, for as long as the thread lives: Qt's default 30 s. With more team threads
# than cores, libgomp's workers sleep between ops instead of spinning, and a run started meanwhile is slowed.
IDLE_POOL_THREAD_MS = 1000


class MainWindow(QMainWindow):
    """deferred=True (the app): the window paints first with plain Qt and placeholders of the views' size,
    then builds the plots, samples, explorer, distribution lab and setup form (pyqtgraph, superqt) once
    the event loop runs, and emits views_ready; Start stays disabled until then. deferred=False builds
    everything before returning (tests, watch mode)."""

    views_ready = Signal()
    # the views built by _build_views
    form: SetupForm
    setup_scroll: VerticalScrollArea
    plots: MetricPlots
    samples: SampleView
    explorer: ExplorerPanel
    distribution: DistributionView
    classifier: ClassifierView

    def __init__(self, settings: AppSettings | None = None, deferred: bool = False):
        super().__init__()
        QThreadPool.globalInstance().setExpiryTimeout(IDLE_POOL_THREAD_MS)  # the pool every superqt worker uses
        self.settings = settings or AppSettings()
        self.setWindowTitle("GAN Studio")
        self.setObjectName("mainWindow")
        self.setStatusBar(FittingStatusBar(self))
        self.setAcceptDrops(True)
        self.devices: list[tuple[str, str]] = [("auto", "Auto"), ("cpu", "CPU")]
        self.local_device = DETECTING_DEVICE  # this machine's device in words, once the probe has answered
        self.controller = TrainingController(self)
        self.state = RunPhase.IDLE
        self.run_dir: str | None = None
        self.errors = ErrorDialogs(self, lambda text: self.statusBar().showMessage(text, 10000))
        self.keep_best = True  # the running config's quality.keep_best, read once at Start
        self.run_failed = False  # the current run reported a failure (shown in a dialog)
        self.close_when_finished = False  # a close waits for the training thread to end
        self._asking_to_quit = False  # the question of offer_quit_without_saving is on screen
        self._unattended = False  # closed by a signal: nobody is there to answer a question

        self.built = False
        self._feature_matching = False  # the setup form's loss.feature_matching, as last seen
        self._deferred = deferred
        self.live = LiveChangesPanel()
        self.live.setEnabled(False)
        self.tabs = QTabWidget(objectName="mainTabs")
        self.controls = RunControls()
        self.banner = AlarmBanner()
        self.snapshot_timer = QTimer(self)  # fresh generator copies while the Explorer tab is in front
        self.snapshot_timer.setInterval(SNAPSHOT_INTERVAL_MS)
        self.device_label = QLabel(DETECTING_DEVICE, objectName="deviceLabel")
        self.state_label = QLabel(self.state.label, objectName="stateLabel")
        self.watch_label = QLabel("", objectName="watchLabel")
        self._lay_out()
        self.files = RunFiles(self)
        self.watch = WatchMode(self)
        self.launcher = DistributedLaunch(self)  # runs on many processes, watched through their folder
        self.regenerator = SetRegenerator(self)
        self.run_events = RunEvents(self)
        self.menu_actions = WindowActions(
            self,
            {
                "new_run": self.files.new_run,
                "open_run": self.files.ask_open_run,
                "explore_checkpoint": self.files.ask_explore_checkpoint,
                "regenerate_set": self.regenerator.ask,
                "watch_run": self.files.ask_watch_run,
                "stop_watching": self.watch.leave,
                "save_checkpoint": self.save_checkpoint,
                "start": self.start,
                "pause": self.toggle_pause,
                "step": self.step_once,
                "stop": self.stop,
                "classify_image": lambda: self.classify_images(folder=False),
                "classify_folder": lambda: self.classify_images(folder=True),
            },
        )
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.setMinimumSize(smallest_window(screen.availableGeometry()))
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.setGeometry(first_launch_geometry(screen.availableGeometry()))
        self.controls.show_phase(self.state, False, False)  # Start waits for the setup form
        self.menu_actions.show_phase(self.state, False, False)
        self.menuBar().setEnabled(False)  # its actions open runs into the views: usable once they exist
        if not deferred:
            self._build_views()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._deferred and not self.built:
            self._deferred = False
            QTimer.singleShot(0, self._build_views)  # after this paint reaches the screen

    def _build_views(self) -> None:
        """The views that need pyqtgraph or superqt, put where their placeholders were, then the
        config, the connections and the device probe."""
        from ganstudio.gui.views import build_views

        views = build_views(fashion_full_found=find_fashion_full() is not None)
        self.form, self.setup_scroll = views.form, views.setup_scroll
        self.plots, self.samples = views.plots, views.samples
        self.explorer, self.distribution = views.explorer, views.distribution
        self.classifier = views.classifier
        self._setup_column.replaceWidget(self._placeholders["setup"], self.setup_scroll)
        self._training.replaceWidget(0, self.plots)
        self.plots.export_failed.connect(lambda text: self.errors.show("Not exported", text))
        self._training.replaceWidget(1, self.samples)
        for name, widget in (
            ("explorer", self.explorer),
            ("distribution", self.distribution),
            ("classifier", self.classifier),
        ):
            index = self.tabs.indexOf(self._placeholders[name])
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, widget, name.capitalize())
        self.tabs.setCurrentIndex(0)
        for placeholder in self._placeholders.values():
            placeholder.deleteLater()
        self._connect()
        config = self.settings.last_config() or preset(DEFAULT_PRESET)
        if self.settings.last_config() is None:
            config.train.device = self.settings.default_device
        self.form.set_config(config)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        self.built = True
        self.menuBar().setEnabled(True)
        self.update_controls()
        warm_engine_soon()
        self.probe = DeviceProbe(self)
        self.probe.found.connect(self._on_devices)
        QTimer.singleShot(PROBE_DELAY_MS, self.probe.start)  # after the first paint: importing torch takes ~1 s
        self.views_ready.emit()

    def _lay_out(self) -> None:
        # Placeholders hold the places of the views built after the first paint (_build_views); the
        # splitters give them the sizes the views get, so nothing moves when they arrive.
        self._placeholders = {
            name: QWidget(objectName=f"{name}Placeholder")
            for name in ("setup", "plots", "samples", "explorer", "distribution", "classifier")
        }
        # the live panel sits below the scrolling form, not inside it, so Apply is always on screen
        setup = QWidget(objectName="setupPanel")
        column = self._setup_column = QVBoxLayout(setup)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._placeholders["setup"], 1)
        column.addWidget(self.live)
        training = self._training = QSplitter(Qt.Orientation.Horizontal)
        training.addWidget(self._placeholders["plots"])
        training.addWidget(self._placeholders["samples"])
        training.setSizes([640, 480])
        self.tabs.addTab(training, "Training")
        self.tabs.addTab(self._placeholders["explorer"], "Explorer")
        self.tabs.addTab(self._placeholders["distribution"], "Distribution")
        last = self.settings.last_config() or preset(DEFAULT_PRESET)  # its tab shows for toy data only
        self.tabs.addTab(self._placeholders["classifier"], "Classifier")
        self.tabs.setTabVisible(2, last.data.dataset in TOY_DATASETS)
        self.tabs.setTabVisible(3, last.train.labelled_per_class > 0)
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.controls)
        right_column.addWidget(self.banner)
        right_column.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(setup)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([370, 910])
        self.setCentralWidget(splitter)
        self.watch_label.hide()
        for label in (self.watch_label, self.device_label, self.state_label):
            self.statusBar().addPermanentWidget(label)

    def _connect(self) -> None:
        self.controls.start_button.clicked.connect(self.start)
        self.controls.pause_button.clicked.connect(self.toggle_pause)
        self.controls.step_button.clicked.connect(lambda: self.step_once())
        self.controls.stop_button.clicked.connect(self.stop)
        self.banner.remedy_chosen.connect(self.apply_remedy)
        self.form.config_changed.connect(self._on_form_changed)
        self.form.typing.connect(self.update_controls)
        self.classifier.scores_changed.connect(self._show_classifier_tab)
        self.snapshot_timer.timeout.connect(self._refresh_live_snapshot)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.run_events.attach(self.controller)
        self.live.changes_requested.connect(lambda changes: self.steering().change(changes))
        self.distribution.step_requested.connect(self.step_once)
        self.distribution.train_on_drawing.connect(self.files.train_on_drawing)
        self.explorer.snapshot_wanted.connect(self.files.refresh_explorer)

    # --- what the user asks ------------------------------------------------------------------
    def steering(self) -> TrainingController | FolderSteering:
        """Who the run controls talk to: the worker of this window's run, or a watched run's folder."""
        return self.watch.steering if self.watch.steering is not None else self.controller

    def start(self) -> None:
        if not self.state.allows(RunAction.START):
            return
        self.form.commit_typing()
        if (held := self.files.why_held()) is not None:
            self.errors.show("Cannot continue here", held)
            self.files.follow_its_holder()  # a window watching the run goes on doing so
            return
        self.watch.stop()
        problems = self.form.problems()
        if problems:
            self.statusBar().showMessage("Cannot start: " + "; ".join(f"{f}: {r}" for f, r in problems), 8000)
            return
        config = self.form.config()
        self.settings.set_last_config(config)
        carried_on = self.files.carried_on(config)
        if config.perf.processes > 1:  # torchrun trains it in child processes; the window watches its folder
            self.launcher.start(config, carried_on, self.settings.runs_dir)
            return
        if carried_on is None:  # a new run: the views start empty, and the Classifier tab lets go of the last
            # run's folder (a start refused before its folder was made left it measuring that run's baseline)
            self.clear_run_views()
            self.classifier.set_run_folder(None)
        make = self.files.session_maker(config)
        self.banner.hide()
        self.live.load(config)
        self.keep_best = config.quality.keep_best
        self.set_phase(RunPhase.STARTING)
        self.controls.reset_rate()
        self.run_failed = False
        self.controller.start(make)

    def toggle_pause(self) -> None:
        if self.state.allows(RunAction.PAUSE):
            self.steering().pause(self.state is RunPhase.RUNNING)

    def step_once(self, kind: CommandKind = CommandKind.STEP) -> None:
        """One full step (k D updates and a G update), or one D (STEP_D) or G (STEP_G) update."""
        if self.state.allows(RunAction.STEP):
            self.steering().step_once(kind)

    def stop(self) -> None:
        if self.launcher.starting:
            self.launcher.cancel()
            return
        if self.state.allows(RunAction.STOP):
            self.set_phase(RunPhase.STOPPING)
            self.steering().stop()

    def offer_quit_without_saving(self, why: str) -> None:
        """Asked once at a time: stops queued before the answer (Stop, then close) are each refused again."""
        if self._asking_to_quit:
            return
        self._asking_to_quit = True
        try:
            answer = self._ask_quit_without_saving(why)
        finally:
            self._asking_to_quit = False
        if answer == QMessageBox.StandardButton.Yes:
            self.close_when_finished = True
            self.set_phase(RunPhase.STOPPING)
            self.controller.stop(discard=True)
        else:
            self.statusBar().showMessage(
                "Not closed: the run is paused; once its checkpoint can be written, stop or close again"
            )

    def _ask_quit_without_saving(self, why: str) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self,
            "Quit without saving?",
            f"{why}.\n\nQuit anyway? The steps since the last checkpoint will be lost.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )

    def save_checkpoint(self) -> None:
        if self.state.allows(RunAction.SAVE):
            self.steering().save_checkpoint()
        else:
            self.statusBar().showMessage("No run in progress: checkpoints are saved when a run stops", 5000)

    def apply_remedy(self, remedy: Remedy) -> None:
        from ganstudio.core.config import ConfigError, apply_override, check

        if remedy.rewind:
            self.steering().rewind()
        if remedy.live:
            self.steering().change(remedy.live)
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
        self.banner.hide()

    def _refresh_live_snapshot(self, phases: tuple[RunPhase, ...] = (RunPhase.RUNNING,)) -> None:
        if self.state in phases and self.tabs.currentWidget() is self.explorer:
            self.steering().request_snapshot()

    def _on_tab_changed(self) -> None:
        """The Explorer brought to the front shows the generator as it is now: the timer asks only while a
        run goes, so a paused run's explorer showed the generator of the step it was opened at."""
        self._refresh_live_snapshot((RunPhase.RUNNING, RunPhase.PAUSED))

    # --- what the run says -------------------------------------------------------------------
    def on_changed(self, step: int, changes: dict) -> None:
        self.live.applied(changes)
        text = ", ".join(f"{k}={v:g}" for k, v in changes.items())
        self.plots.mark(step, text)
        self.statusBar().showMessage(f"Step {step:,}: {text}", 8000)

    def show_alarm(
        self, step: int, message: str, remedies: tuple[Remedy, ...] = (), calm: bool = False, health: str = ""
    ) -> None:
        """health: the kind of the training monitor's alarm this is (AlarmBanner.keeps_over)."""
        self.statusBar().showMessage(self.banner.show_alarm(step, message, remedies, calm, health), 10000)

    def refused_change(self, step: int, message: str) -> None:
        """A live change the run refused is about the panel's fields: said there, the run going on."""
        self.live.refused(message)
        self.statusBar().showMessage(f"Step {step:,}: {message}", 8000)

    def _on_devices(self, devices: list[tuple[str, str]]) -> None:
        from ganstudio.core.device import describe_device, select_device
        from ganstudio.core.fast_path import choose_threads

        self.devices = devices
        self.form.set_devices(devices)
        threads = choose_threads(0, gui=True)  # a run's share of the cores, as the window trains
        self.local_device = f"Device: {describe_device(select_device('auto'), threads)} available"
        if self.state is RunPhase.IDLE or self.device_label.text() == DETECTING_DEVICE:  # a watched run's says nothing
            self.show_local_device()

    def show_local_device(self) -> None:
        """What this machine offers a run of the window's own: shown while idle and after watching
        a run elsewhere, whose device and host the label said until then. Said once the device probe has
        answered: asked here, torch would load on the GUI thread (a watch stopped before the probe)."""
        self.device_label.setText(self.local_device)

    # --- state -------------------------------------------------------------------------------
    def set_phase(self, phase: RunPhase) -> None:
        self.state = phase
        self.state_label.setText(phase.label)
        self.update_controls()

    def _show_classifier_tab(self) -> None:
        """Shown while the form's run is semi-supervised, and while the tab holds the shown run's scores:
        choosing another preset to plan the next run no longer hides the last run's classifier."""
        semi = self.form.config().train.labelled_per_class > 0
        self.tabs.setTabVisible(self.tabs.indexOf(self.classifier), semi or self.classifier.latest is not None)

    def classify_images(self, folder: bool) -> None:
        """Ctrl+K and Ctrl+Shift+K from any tab, as the menu's items: the tab's own buttons are greyed without
        a run, and a key that did nothing elsewhere left no clue why."""
        view = self.classifier if self.built else None
        if view is None or view.run_dir is None or not self.tabs.isTabVisible(self.tabs.indexOf(view)):
            self.statusBar().showMessage(f"Nothing to classify with: {NO_RUN}", 8000)
            return
        self.tabs.setCurrentWidget(view)
        if view.classify_button.isEnabled():  # not while a classification runs: the tab shows it and its Stop
            (view.ask_classify_folder if folder else view.ask_classify)()

    def _on_form_changed(self, valid: bool) -> None:
        config = self.form.config()
        self.tabs.setTabVisible(self.tabs.indexOf(self.distribution), config.data.dataset in TOY_DATASETS)
        self._show_classifier_tab()
        if config.loss.feature_matching != self._feature_matching:
            # G's feature-matching loss falls from the thousands over decades, which flattens every other loss
            # on a linear axis. Ticked as the setting turns on and unticked as it turns off (a run opened after
            # a semi-supervised one kept its log axis); in between, the box is the user's.
            self.plots.log_losses.setChecked(config.loss.feature_matching)
        self._feature_matching = config.loss.feature_matching
        if not len(self.plots.series):  # curves shown are a run's: their lines are its loss family's, not the form's
            self.plots.show_loss_family(config.loss.kind)
        if self.state is RunPhase.IDLE:
            self.files.check_continuable(config)
            carried_on = self.files.carried_on(config) is not None or self.watch.active
            if not self.watch.active:  # what the next run starts with, the one Continue carries on included
                self.live.show_setup(self.form.binders)
            if valid:  # the bar counts toward the run Start would train: a new one, or the one it carries on
                start = 0
                if carried_on:
                    start = self.controls.step if self.files.resume_step is None else self.files.resume_step
                elif self.files.resume_step is not None and self.files.form_changes(config) == {}:
                    start = self.files.resume_step  # the shown run as it ended (an opened finished one read 0 / N)
                self.controls.set_run(config.train.steps, start)
        self.update_controls()

    def clear_run_views(self) -> None:
        """Every view of a run's history emptied, from one list: New run cleared all but the Distribution tab,
        which kept the last run's picture."""
        self.plots.clear()
        self.plots.show_loss_family(self.form.config().loss.kind)
        self.samples.clear()
        self.distribution.clear()
        self.classifier.clear()

    def update_controls(self) -> None:
        if not self.built:
            return
        why_not = self.form.why_not_valid() if self.state.allows(RunAction.START) else ""
        can_start = self.state.allows(RunAction.START) and not why_not
        config = self.form.config() if self.files.continuable is not None else None  # built once, only if needed
        continuable = config is not None and self.files.carried_on(config) is not None
        self.controls.show_phase(self.state, can_start, continuable, why_not, self.files.step_to_pass(config))
        self.menu_actions.show_phase(self.state, can_start, self.watch.active, continuable)
        self.form.setEnabled(self.state.allows(RunAction.EDIT_SETUP))
        self.live.setEnabled(self.state.allows(RunAction.CHANGE_LIVE))

    # --- window events -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.built and self.state.allows(RunAction.EDIT_SETUP) and self.files.dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.files.drop(event):
            event.acceptProposedAction()

    def close_unattended(self) -> None:
        """A signal closes the window (a terminal closed, a logout, a scheduler's SIGTERM), with nobody to answer a
        question: a run on many processes is left training, as closing a watching window leaves its run."""
        self._unattended = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        unattended, self._unattended = self._unattended, False  # this close's, not a later one's
        if self._asking_to_quit:  # a second close (a signal) while the window asks whether to quit unsaved
            event.ignore()
            return
        # stop a run on many processes, or leave it training
        if not self.launcher.may_close((lambda: "leave") if unattended else None):
            event.ignore()
            return
        self.watch.stop()  # the watched run goes on: it belongs to its own process
        if self.controller.running:
            self.statusBar().showMessage("Saving a checkpoint and stopping...")
            self.set_phase(RunPhase.STOPPING)
            if not self.controller.stop_and_wait():
                # A step or a dataset load is still running: close when it ends, never kill the thread. A stop
                # whose checkpoint could not be saved is among the worker's words: its handler asks instead.
                self.close_when_finished = True
                QCoreApplication.sendPostedEvents(self.controller)
                if self.close_when_finished:
                    self.statusBar().showMessage("Closing when the current step ends...")
                event.ignore()
                return
            QCoreApplication.sendPostedEvents(self.controller)  # the worker's last words: a failed save
            if self.run_failed and not unattended:  # the reason stays on screen; closing again quits
                self.statusBar().showMessage(
                    "Not closed: the run ended with an error (see the message); close again to quit"
                )
                event.ignore()
                return
        if self.built:
            self.classifier.stop_jobs()  # a baseline being measured stops at its next step; nothing is saved
            self.form.commit_typing()
            self.settings.set_last_config(self.form.config())
        self.settings.set_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        event.accept()
