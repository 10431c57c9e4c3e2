"""The window's menus and their actions (each also a shortcut), enabled by what the run's phase allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QMenu, QMessageBox

from ganstudio import __version__
from ganstudio.gui.run_phase import RunAction, RunPhase
from ganstudio.gui.space_key import SPACE, SpaceForFocusedControls
from ganstudio.gui.widgets.preferences import PreferencesDialog

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow

Slot = Callable[[], object]
CLASSIFY_SHORTCUT = "Ctrl+K"
CLASSIFY_FOLDER_SHORTCUT = "Ctrl+Shift+K"
NO_RUN = "open or start a semi-supervised run first"  # why there is nothing to classify with


class WindowActions:
    """Builds File, Run and Help on `window`; the slots are the window's (or its helpers')."""

    def __init__(self, window: MainWindow, slots: dict[str, Slot]):
        self.window = window
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._add(
            file_menu,
            "&New run",
            QKeySequence.StandardKey.New,
            slots["new_run"],
            "Forget the current run and set up a new one",
        )
        self.open_action = self._add(
            file_menu,
            "&Open run folder...",
            QKeySequence.StandardKey.Open,
            slots["open_run"],
            "Open a run folder written by the app or the CLI",
        )
        self.open_ckpt_action = self._add(
            file_menu,
            "Open &checkpoint to explore...",
            QKeySequence("Ctrl+E"),
            slots["explore_checkpoint"],
            "Explore the generator in a checkpoint file",
        )
        self.regenerate_action = self._add(
            file_menu,
            "&Regenerate image set...",
            None,
            slots["regenerate_set"],
            "Write a saved image set again from its manifest.json, beside it, and check it came out the same "
            "(as `ganstudio sample --manifest` does)",
        )
        self.watch_action = self._add(
            file_menu,
            "&Watch run folder...",
            QKeySequence("Ctrl+Shift+O"),
            slots["watch_run"],
            "Follow and steer a run that another process is "
            "training (a terminal, another machine writing a shared folder)",
        )
        self.stop_watching_action = self._add(
            file_menu,
            "Stop watc&hing",
            None,
            slots["stop_watching"],
            "Stop following the watched run; it goes on in its own process",
        )
        self.save_action = self._add(
            file_menu,
            "&Save checkpoint",
            QKeySequence.StandardKey.Save,
            slots["save_checkpoint"],
            "Write checkpoints/latest.pt now",
        )
        file_menu.addSeparator()
        self.prefs_action = self._add(
            file_menu,
            "&Preferences...",
            QKeySequence.StandardKey.Preferences,
            self.show_preferences,
            "Runs folder and default device",
        )
        file_menu.addSeparator()
        self.quit_action = self._add(
            file_menu, "&Quit", QKeySequence.StandardKey.Quit, window.close, "Quit (a running run is saved)"
        )

        run_menu = bar.addMenu("&Run")
        self.start_action = self._add(run_menu, "&Start", QKeySequence("Ctrl+Return"), slots["start"], "Start training")
        self.start_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.pause_action = self._add(run_menu, "&Pause/Resume", SPACE, slots["pause"], "Pause or resume training")
        self.space_keeper = SpaceForFocusedControls(self.pause_action, window)  # a focused button keeps Space
        self.step_action = self._add(
            run_menu, "S&tep", QKeySequence("Ctrl+T"), slots["step"], "One step while paused: k D steps, then G steps"
        )
        self.stop_action = self._add(run_menu, "St&op", QKeySequence("Ctrl+."), slots["stop"], "Stop the run")
        run_menu.addSeparator()
        self.classify_action = self._add(
            run_menu,
            "Classify &image...",
            QKeySequence(CLASSIFY_SHORTCUT),
            slots["classify_image"],
            "Classify an image, .npy or idx file with a semi-supervised run's D (the Classifier tab)",
        )
        self.classify_folder_action = self._add(
            run_menu,
            "Classify &folder...",
            QKeySequence(CLASSIFY_FOLDER_SHORTCUT),
            slots["classify_folder"],
            "Classify every image in a folder with a semi-supervised run's D (the Classifier tab)",
        )

        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = self._add(
            help_menu,
            "&Keyboard shortcuts",
            QKeySequence.StandardKey.HelpContents,
            self.show_shortcuts,
            "Every key the window answers to",
        )
        self.about_action = self._add(help_menu, "&About GAN Studio", None, self.show_about, "Version and credits")

    def _add(
        self, menu: QMenu, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | None, slot: Slot, tip: str
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.window.addAction(action)
        return action

    def show_preferences(self) -> None:
        w = self.window
        dialog = PreferencesDialog(w.settings.runs_dir, w.settings.default_device, w.devices, w)
        if dialog.exec():
            if dialog.runs_dir:
                w.settings.runs_dir = dialog.runs_dir
            changed = dialog.device != w.settings.default_device
            w.settings.default_device = dialog.device
            if changed and w.state.allows(RunAction.EDIT_SETUP) and not w.watch.active:
                w.form.binders["train.device"].set_value(dialog.device)  # the next run's, as New run's

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action and button with a shortcut, read from them, so the list
        cannot drift from the keys the window really has."""
        rows = []
        for action in self.window.actions():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((keys, action.text().replace("&", "")))
        for button in self.window.findChildren(QAbstractButton):
            keys = button.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((keys, button.text().replace("&", "").rstrip(".…")))
        return rows

    def show_shortcuts(self) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", "", parent=self.window)
        box.setObjectName("shortcutsDialog")
        box.setTextFormat(Qt.TextFormat.RichText)
        rows = "".join(
            f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in self.shortcut_rows()
        )
        box.setText(f"<table>{rows}</table>")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_about(self) -> None:
        QMessageBox.about(
            self.window,
            "About GAN Studio",
            f"GAN Studio {__version__}\nTrain and explore Generative Adversarial Networks.\n"
            "After Goodfellow et al. (2014) and what came after.",
        )

    def show_phase(self, phase: RunPhase, can_start: bool, watching: bool, continuable: bool = False) -> None:
        self.start_action.setEnabled(can_start)
        self.start_action.setText("&Continue" if continuable else "&Start")  # as the button says
        self.pause_action.setEnabled(phase.allows(RunAction.PAUSE))
        self.step_action.setEnabled(phase.allows(RunAction.STEP))
        self.stop_action.setEnabled(phase.allows(RunAction.STOP))
        self.save_action.setEnabled(phase.allows(RunAction.SAVE))
        for action in (self.new_action, self.open_action, self.watch_action):
            action.setEnabled(phase.allows(RunAction.EDIT_SETUP))
        self.stop_watching_action.setEnabled(watching)
