"""What the window opens: a new run, a run folder to continue or watch, a checkpoint to explore, a
drawing to train on. Each fills the window's views from files; none of it runs while a run does."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from ganstudio.core.config import RunConfig
from ganstudio.core.events import Changed, SampleFrame, StatsBatch
from ganstudio.core.paths import free_name
from ganstudio.core.resume import as_overrides, resumable_changes
from ganstudio.core.run_data import config_in_folder, inside_training_images
from ganstudio.core.run_lock import live_holder, why_held
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.wording import counted, sentence
from ganstudio.gui.run_phase import RunAction, RunPhase
from ganstudio.gui.score_history import draw_scores

if TYPE_CHECKING:
    from ganstudio.core.session import TrainingSession
    from ganstudio.gui.main_window import MainWindow


NO_CHECKPOINT = "the run saved no checkpoint"
DRAWINGS_FOLDER = "drawings"  # in the runs folder: what a drawn run starts from, before it copies it


def new_run_folder(config: RunConfig, runs_root: str) -> RunDirectory:
    """A new run's folder in the window's runs folder, one process or many; what refuses it names where that folder
    is chosen."""
    try:
        if (inside := inside_training_images(Path(runs_root), config)) is not None:  # its grids would be trained on
            raise RunError(inside)
        return RunDirectory.create(runs_root, config.preset or "run")
    except RunError as exc:
        raise RunError(f"{exc} (File > Preferences chooses where runs go)") from None


class RunFiles(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.set_continuable(None)

    def set_continuable(
        self, run: RunDirectory | None, config: RunConfig | None = None, resume_step: int | None = None
    ) -> None:
        self.continuable = run  # an opened or stopped run that Start continues
        self.continuable_config = config if run is not None else None  # its config.json, read once
        # The step its last checkpoint holds, where Start carries it on from once Steps goes past it (None: not
        # known here, a watched run's writer gone)
        self.resume_step = resume_step if run is not None else None
        self._form_fits = True  # what check_continuable last said of the form

    def carried_on(self, config: RunConfig | None = None) -> RunDirectory | None:
        """The run Start would carry on with `config` (the form's when None). A run is carried on only while
        Steps goes past its checkpoint's step, and every change is one a continued run takes; otherwise Start
        begins a new run with these settings, as a user pressing Start again after a finished run expects (a
        Continue refused for its length was a dead end, and Steps lowered below a stopped run's step kept
        offering one)."""
        if self.continuable is None:
            return None
        config = config or self.window.form.config()
        if self.form_changes(config) is None:
            return None
        if self.resume_step is None or config.train.steps > self.resume_step:
            return self.continuable
        return None

    def step_to_pass(self, config: RunConfig | None) -> int | None:
        """The step Steps must go past for Start to carry the run on with `config`; None when raising Steps would
        not do it (no run to continue, or a change that needs a new run)."""
        return self.resume_step if config is not None and self.form_changes(config) is not None else None

    def adopt(self, run: RunDirectory, resume_step: int | None = None, written_elsewhere: bool = False) -> str | None:
        """Makes a run on disk the one Start carries on, with the config it has now (config.json holds the
        changes made while it trained): the form and the live panel show it. Returns why it cannot be.
        resume_step: the step this window's own run saved its last checkpoint at. written_elsewhere: a watched
        run, whose folder another process wrote (and anyone may have edited): checked as opening a folder checks
        it (continue_check), which reads the step from the checkpoint."""
        self.set_continuable(None)
        try:
            config = config_in_folder(run.read_config(), run.path)
        except RunError as exc:
            return f"{sentence(str(exc).rstrip('.'))}."
        if not run.latest_checkpoint.is_file():
            return "It saved no checkpoint: there is nothing to continue."
        if written_elsewhere:
            from ganstudio.core.session import continue_check

            problem, resume_step = continue_check(run)
            if problem is not None:
                return f"It cannot be continued: {problem.rstrip('.')}."
        self.window.form.set_config(config)
        self.window.live.load(config)
        if config.data.dataset == "drawn" and config.data.path:  # its points are now the run folder's own copy
            self.window.form.set_drawn(config.data.path)
        self.set_continuable(run, config, resume_step)
        return None

    def why_held(self) -> str | None:
        """Why the run Start would carry on is still another process's (its lock is live), or None."""
        run = self.carried_on()
        return None if run is None else why_held(run.path)

    def follow_its_holder(self) -> None:
        """The run Continue would carry on, followed when another live process trains it: of two windows pressing
        Continue on one run, the one refused stood at the old step while the other trained."""
        run = self.carried_on()
        if run is not None and not self.window.watch.active and live_holder(run.path) is not None:
            self.watch_run(run.path)

    def form_changes(self, config: RunConfig | None = None) -> dict[str, object] | None:
        """What `config` (the form's when None) changes in the continuable run's config.json, when Continue can
        carry every change (what `train --resume` takes); None when one needs a new run, or there is no run."""
        if self.continuable_config is None:
            return None
        return resumable_changes(self.continuable_config, config or self.window.form.config())

    def resume_overrides(self, config: RunConfig, *given_apart: str) -> list[str]:
        """config's changes to the continued run as `train --resume`'s --set assignments, but for its length and
        device (given apart, as --steps and --device do) and the fields given_apart (the launcher's --nproc)."""
        return as_overrides(self.form_changes(config) or {}, "train.steps", "train.device", *given_apart)

    def check_continuable(self, config: RunConfig) -> None:
        """After a form edit: a setting a continued run cannot change makes Start begin a new run, and put back,
        Continue carries the run on again (it stayed Start, and trained the same settings from step 0)."""
        if self.continuable is None:
            return
        fits = self.form_changes(config) is not None
        if fits == self._form_fits:
            return
        self._form_fits = fits
        name = self.continuable.path.name
        if not fits:
            said = f"Settings changed: Start begins a new run ({name} keeps its model, data, loss and seed)"
        elif self.carried_on(config) is not None:
            said = f"Settings fit {name} again: Continue carries it on"
        else:
            said = f"Settings fit {name} again: raise Steps and Continue carries it on"
        self.window.statusBar().showMessage(said, 8000)

    def _refuse_while_running(self) -> bool:
        if self.window.state.allows(RunAction.EDIT_SETUP):
            return False
        self.window.statusBar().showMessage("Stop the current run first", 5000)
        return True

    def session_maker(self, config: RunConfig) -> Callable[[], TrainingSession]:
        """How the worker makes the session Start asked for: the continuable run carried on, or a new one.
        Called on the training thread, which imports torch: the window stays responsive meanwhile (a
        click on Start while the engine still warms up would otherwise wait seconds for that import)."""
        continuable, runs_root = self.carried_on(config), self.window.settings.runs_dir
        overrides = self.resume_overrides(config)

        def make() -> TrainingSession:
            from ganstudio.core.session import TrainingSession

            if continuable is not None:
                return TrainingSession.resume(
                    continuable, total_steps=config.train.steps, device=config.train.device, overrides=overrides
                )
            return TrainingSession.start(config, new_run_folder(config, runs_root))

        return make

    def new_run(self) -> None:
        if self._refuse_while_running():
            return
        w = self.window
        w.watch.stop()
        self.leave_run()
        w.run_dir = None
        w.explorer.set_run_folder(None)
        w.classifier.set_run_folder(None)
        w.setWindowTitle("GAN Studio")  # it named the run left
        w.controls.show_position(0)
        w.form.binders["train.device"].set_value(w.settings.default_device)  # Preferences' default device
        w.update_controls()
        # said, since a form that already holds the setup wanted shows no change; and it replaces "The watched
        # run finished ...; press Continue", which spoke of the run left
        w.statusBar().showMessage("New run: Start trains the setup on the left from step 0, in a new run folder", 8000)

    def leave_run(self) -> None:
        """Forgets the run the window showed, before it shows another or none (open, watch, New run): its views,
        its Continue, its banner, its rate, and what the status bar said of it."""
        w = self.window
        w.clear_run_views()
        self.set_continuable(None)
        w.banner.hide()
        w.controls.reset_rate()
        w.statusBar().clearMessage()

    def folder_to_browse(self) -> str:
        """Where the run folder dialogs start: beside the run folder last chosen in one (runs kept elsewhere were
        looked for again from the runs folder each time), else the runs folder, or the home folder before a first
        run has made it (Qt started in the current folder with the missing name typed in)."""
        settings = self.window.settings
        for folder in (settings.last_browsed, settings.runs_dir):
            if folder and Path(folder).expanduser().is_dir():
                return str(Path(folder).expanduser())
        return str(Path.home())

    def _ask_run_folder(self, title: str) -> str:
        folder = QFileDialog.getExistingDirectory(self.window, title, self.folder_to_browse())
        if folder:
            self.window.settings.last_browsed = str(Path(folder).parent)
        return folder

    def ask_open_run(self) -> None:
        if folder := self._ask_run_folder("Open run folder"):
            self.open_run(folder)

    def open_run(self, folder: str | Path) -> bool:
        """Restores a run's config, metric history and sample grids; Start then continues it."""
        if self._refuse_while_running():
            return False
        w = self.window
        w.watch.stop()
        try:
            run = RunDirectory.open(folder)
            if (holder := live_holder(run.path)) is not None:  # a frozen copy would offer a Continue it refuses
                watching = self.watch_run(run.path)
                w.statusBar().showMessage(f"{run.path} is being trained by {holder.describe()}: watching it", 10000)
                return watching
            config = config_in_folder(run.read_config(), run.path)
            history = run.history()
            pictures = run.sample_files()
        except (RunError, OSError) as exc:
            w.errors.show("Cannot open run", str(exc))
            return False
        from ganstudio.core.imaging import load_png
        from ganstudio.core.session import continue_check

        self.leave_run()  # before the form is filled: that must not be said as a change to the run left
        last = 0
        for event in draw_scores(w, history):
            match event:
                case StatsBatch(stats=stats):
                    w.plots.add_stats(stats)
                    last = stats[-1].step
                case Changed(step=step, changes=changes):
                    w.plots.mark(step, ", ".join(f"{k}={v:g}" for k, v in changes.items()))
        w.plots.flush()
        for step, path in pictures:
            try:
                w.samples.add_frame(SampleFrame(step, image=load_png(path), saved=True))
            except OSError:
                continue
        w.form.set_config(config)
        w.plots.show_loss_family(config.loss.kind)
        self._show_distribution(run)
        explored = self.explore_latest(run)  # what the explorer shows (a generator, a conditional run's rows)
        if explored is not None:
            w.explorer.unload(f"No generator to explore in {run.path.name}: {explored}")
        # whether Continue could carry it on, and from which step (a checkpoint the explorer could not read, no)
        problem, checkpoint_step = (explored, None) if explored is not None else continue_check(run)
        saved = last if checkpoint_step is None else checkpoint_step
        self.set_continuable(run if problem is None else None, config, saved)
        w.run_dir = str(run.path)
        w.explorer.set_run_folder(w.run_dir)
        w.classifier.set_run_folder(w.run_dir, config)
        w.samples.set_class_names(() if explored else w.explorer.state.grid_row_names)  # a conditional run's rows
        w.controls.set_run(config.train.steps, saved)
        w.setWindowTitle(f"GAN Studio - {run.path.name}")
        if problem is None and saved < last:  # a window or process killed between two checkpoints
            raise_steps = "" if self.carried_on(config) else "raise Steps and "
            again = f"{raise_steps}Continue trains them again"
            w.statusBar().showMessage(
                f"Opened {run.path}: its last checkpoint is at step {saved:,}; the {counted(last - saved, 'step')} "
                f"logged after it were not saved: {again}",
                15000,
            )
        elif problem is None:
            how = "Start continues it" if self.carried_on(config) else "raise Steps and Continue carries it on"
            w.statusBar().showMessage(f"Opened {run.path} at step {last:,}; {how}", 8000)
        elif problem == NO_CHECKPOINT:  # it ended before its first checkpoint: nothing went wrong here
            w.statusBar().showMessage(
                f"Opened {run.path} at step {last:,}; it saved no checkpoint, so Start begins a new run", 8000
            )
        else:  # said now, not when Continue fails
            w.errors.show(
                "This run cannot be continued",
                f"{sentence(problem.rstrip('.'))}. Its curves and pictures are shown; Start begins a new run with "
                "its settings.",
            )
        w.update_controls()
        return True

    def _show_distribution(self, run: RunDirectory) -> None:
        """A toy run's last picture of G's and D's functions, as its sample grids are shown (the tab was empty
        until the run trained again); a file that will not read leaves the tab empty."""
        from ganstudio.core.control import distribution_path
        from ganstudio.core.distribution_frame import DistributionFileError, read_distribution

        try:
            self.window.distribution.show_frame(read_distribution(distribution_path(run.path)))
        except (OSError, DistributionFileError):
            pass

    def ask_watch_run(self) -> None:
        if folder := self._ask_run_folder("Watch run folder"):
            self.watch_run(folder)

    def watch_run(self, folder: str | Path) -> bool:
        """Follows a run another process trains; the run controls then steer it through its folder."""
        if self._refuse_while_running():
            return False
        self.window.watch.stop()
        return self.window.watch.start(folder)

    def continue_here(self) -> None:
        """A watched run whose writer stopped or died, carried on by this window."""
        self.window.banner.hide()
        self.window.start()

    def train_on_drawing(self, points: list) -> None:
        """Saves the painted points as a dataset file and starts a new run on them."""
        w = self.window
        if self._refuse_while_running():
            return
        if len(points) < 2:
            w.statusBar().showMessage("Paint some points first (tick Draw, then drag on the plot)", 5000)
            return
        import numpy as np

        from ganstudio.core.npy_save import save_npy

        folder = Path(w.settings.runs_dir).expanduser() / DRAWINGS_FOLDER  # not loose among the run folders
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = free_name(folder, f"drawn-{time.strftime('%Y%m%d-%H%M%S')}", ".npy")  # two in one second
            save_npy(path, np.asarray(points, dtype=np.float32))
        except OSError as exc:
            w.errors.show("Cannot save the drawing", f"{folder}: {exc.strerror}")
            return
        self.set_continuable(None)
        w.form.set_drawn(str(path))
        w.start()

    # --- the explorer's generator ----------------------------------------------------------------
    def ask_explore_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open checkpoint", self.window.explorer.checkpoint_folder(), "GAN Studio checkpoints (*.pt)"
        )
        if path:
            self.explore_checkpoint(path)

    def explore_checkpoint(self, path: str | Path) -> bool:
        from ganstudio.core.checkpoint import CheckpointError

        w = self.window
        try:
            w.explorer.open_checkpoint(path)
        except CheckpointError as exc:
            w.errors.show("Cannot open checkpoint", str(exc))
            return False
        w.tabs.setCurrentWidget(w.explorer)
        return True

    def refresh_explorer(self) -> None:
        """*Refresh from training*: a copy from the worker while a run is on, else the run's latest checkpoint."""
        w = self.window
        if w.controller.running or (w.watch.active and w.state in (RunPhase.RUNNING, RunPhase.PAUSED)):
            w.steering().request_snapshot()
        elif w.run_dir:
            problem = self.explore_latest(RunDirectory(w.run_dir))
            if problem is not None:
                w.statusBar().showMessage(f"Explorer: {problem}", 8000)
        else:
            w.statusBar().showMessage("No run to refresh from: start one, or open a run folder", 5000)

    def explore_latest(self, run: RunDirectory) -> str | None:
        """The run's latest checkpoint, now in the explorer; or why it cannot be (the explorer keeps its previous
        generator: *Refresh* of the same run; a run opened empties it)."""
        from ganstudio.core.checkpoint import CheckpointError

        if not run.latest_checkpoint.is_file():
            return NO_CHECKPOINT
        try:
            self.window.explorer.open_checkpoint(run.latest_checkpoint)
        except CheckpointError as exc:
            return str(exc)
        return None

    # --- drag and drop ---------------------------------------------------------------------------
    @staticmethod
    def dropped_folder(event: QDragEnterEvent | QDropEvent) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        for url in urls:
            if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
                return url.toLocalFile()
        return None

    def drop(self, event: QDropEvent) -> bool:
        """A run folder opens; any other folder becomes the image-folder dataset."""
        folder = self.dropped_folder(event)
        if folder is None:
            return False
        if RunDirectory.holds_a_run(folder):
            self.open_run(folder)
        else:
            self.window.form.set_image_folder(folder)
        return True
