"""The Classifier tab of a semi-supervised run (train.labelled_per_class > 0): D's held-out accuracy
over steps against the supervised baseline, the latest confusion matrix and per-class accuracy, and
image files classified with the run's latest checkpoint. The training and the classifying happen on
pool threads (classifier_jobs); this tab only shows what they give."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.config import RunConfig
from ganstudio.core.semi.baseline_rules import baseline_problem
from ganstudio.core.semi.predictions import overwritten_by_predictions
from ganstudio.core.semi.report import BASELINE_FILE, ClassifierReport, gain_points
from ganstudio.core.wording import counted, first_named, run_folder_gone
from ganstudio.gui.classifier_jobs import BaselineJob, ClassifiedImages, ClassifyJob, SavePredictionsJob
from ganstudio.gui.widgets.accuracy_plot import AccuracyPlot
from ganstudio.gui.widgets.class_accuracy_table import ClassAccuracyTable
from ganstudio.gui.widgets.confusion_matrix import MAX_SHOWN_CLASSES, ConfusionMatrixTable
from ganstudio.gui.widgets.fitted_table import filled_at_once, fit_read_only
from ganstudio.gui.widgets.image_drop import ImageDropArea
from ganstudio.gui.window_actions import CLASSIFY_FOLDER_SHORTCUT, CLASSIFY_SHORTCUT, NO_RUN

if TYPE_CHECKING:
    from ganstudio.core.semi.baseline import MeasuredBaseline

OPEN_IT_WHERE_IT_IS = "open it where it is now (File > Open run folder)"
NO_SCORES = (
    "No held-out check yet: D is scored on the held-out images at each quality check (Score every, in the "
    "Quality metrics fold) and at the end of the run"
)
BASELINE_HELP = (
    "Trains the same D network on the run's labelled images alone (no GAN, same steps and augmentation) "
    "and scores it on the same held-out images, for the dashed reference line. It trains D alone for as many "
    "steps as the run had at the score shown (the run's length before its first score), a fraction of the run's "
    "own time (the progress bar counts them); saved in the run folder"
)
CLASSIFY_HELP = f"Choose an image, .npy or idx file to classify with the run's latest checkpoint ({CLASSIFY_SHORTCUT})"
CLASSIFY_FOLDER_HELP = (
    "Choose a folder to classify every image in it with the run's latest checkpoint "
    f"({CLASSIFY_FOLDER_SHORTCUT}); choose an image in the list to see its probabilities, Save predictions writes them all"
)

MAX_LISTED = 10_000  # images a classified set lists to choose from: a combo box of a million would freeze
SAVE_HELP = (
    "Saves every classified image's class probabilities as a CSV: its name, the class D gives it, one column "
    "a class (what `ganstudio classify --out` writes)"
)


def predictions_path(source: str) -> str:
    """Where the save dialog proposes to write: beside what was classified, named after it."""
    path = Path(source)
    return str(path.parent / f"{path.name if path.is_dir() else path.stem}-predictions.csv")


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text, objectName=name)
    button.setToolTip(tip)
    return button


class ClassifierView(QWidget):
    scores_changed = Signal()  # the held-out scores were cleared or one was added

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("classifier_view")
        self.run_dir: str | None = None
        self.latest: tuple[int, ClassifierReport] | None = None
        self.baseline: ClassifierReport | None = None  # drawn and compared with: measured as long as the score shown
        self.measured: MeasuredBaseline | None = None  # the run folder's, however long it trained
        self._k = 1  # the run's D steps a step: a baseline's updates against a score's step
        self._unfit_note = ""  # what the baseline label said when the measured baseline did not fit the score shown
        self.no_baseline_reason: str | None = None  # a run that has no fair baseline, said on the greyed button
        self.classify_job = ClassifyJob(self)
        self.classified: ClassifiedImages | None = None  # the result shown, which Save predictions writes
        self.classified_text = ""  # what the result label says of it, before a save's outcome
        self.save_job = SavePredictionsJob(self)
        self.saving: ClassifiedImages | None = None  # the result being written: another shown by then is not it
        self.others_dropped = 0  # files dropped with the one being classified
        self.baseline_job = BaselineJob(self)
        # the run folder each job works for: what comes back for another run than the one shown is not shown
        self.measuring_for: str | None = None
        self.classifying_for: str | None = None

        self.plot = AccuracyPlot()
        self.summary_label = QLabel(NO_SCORES, objectName="classifierSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setToolTip("The latest held-out accuracy, the baseline's, and which images were scored")
        self.baseline_button = _button(
            "Measure baseline",
            "measureBaselineButton",
            BASELINE_HELP,
        )
        self.baseline_progress = QProgressBar(objectName="baselineProgress")
        self.baseline_progress.setToolTip("The baseline's training steps so far")
        self.baseline_progress.setFormat("%v / %m steps")
        # wide enough for its text: squeezed beside the buttons, the count wrapped onto a second line
        widest = self.baseline_progress.fontMetrics().horizontalAdvance("000000 / 000000 steps")
        self.baseline_progress.setMinimumWidth(widest + 2 * self.baseline_progress.fontMetrics().height())
        self.cancel_button = _button("Cancel", "cancelBaselineButton", "Stops measuring the baseline; nothing is saved")
        self.baseline_label = QLabel("", objectName="baselineLabel")
        self.baseline_label.setToolTip("What measuring the supervised baseline gave, or why it did not")
        self.baseline_label.setWordWrap(True)  # a reason is a sentence: unwrapped, it squeezed the setup panel

        self.matrix_title = QLabel("Confusion matrix", objectName="confusionTitle")
        self.matrix = ConfusionMatrixTable()
        self.class_table = ClassAccuracyTable()

        self.drop_area = ImageDropArea("Drop an image here\n(a file, a folder, a .npy or an idx file)")
        self.drop_area.setToolTip(
            "Drop an image file, a folder of images, a .npy or an idx file here to classify it with the run's "
            "latest checkpoint"
        )
        self.classify_button = _button("Classify image…", "classifyImageButton", CLASSIFY_HELP)
        self.classify_folder_button = _button("Classify folder…", "classifyFolderButton", CLASSIFY_FOLDER_HELP)
        self.stop_classify_button = _button(
            "Stop", "stopClassifyButton", "Stops classifying the chosen images (a large folder takes a while)"
        )
        self.save_button = _button("Save predictions…", "savePredictionsButton", SAVE_HELP)
        self.result_label = QLabel("", objectName="classifyResult")
        self.result_label.setWordWrap(True)
        self.result_label.setToolTip("The class D gives the image, or why it could not classify it")
        self.image_chooser = QComboBox(objectName="classifiedImageChooser")
        self.image_chooser.setToolTip(
            f"The classified image whose probabilities the table shows (the first {MAX_LISTED:,} of a larger set "
            "are listed; Save predictions writes every one)"
        )
        # a long file name must not widen the column: the combo box is as wide as the column gives it
        self.image_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.image_chooser.setMinimumContentsLength(12)
        self.image_chooser.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the list as wide as the box
        self.probabilities = QTableWidget(0, 1, objectName="classProbabilities")
        self.probabilities.setHorizontalHeaderLabels(["probability"])
        fit_read_only(self.probabilities, stretch_columns=True)
        self.probabilities.setToolTip("The probability D gives each class for the classified image (the one chosen)")

        # shown only while a job runs, hidden before they are laid out: hidden after, their widths still
        # counted in the tab's minimum, which then held the window wider than 1,024 px
        for while_busy in (self.baseline_progress, self.cancel_button, self.stop_classify_button):
            while_busy.hide()
        self.image_chooser.hide()  # shown for a set of images, hidden before the layout for the same reason
        self._lay_out()
        self.baseline_button.clicked.connect(self.measure_baseline)
        self.cancel_button.clicked.connect(self.baseline_job.cancel)
        self.baseline_job.progressed.connect(self._on_baseline_progress)
        self.baseline_job.done.connect(self._on_baseline_done)
        self.baseline_job.failed.connect(lambda text: self._baseline_ended(f"Baseline not measured: {text}"))
        self.baseline_job.cancelled.connect(lambda: self._baseline_ended("Baseline cancelled; nothing was saved"))
        self.drop_area.dropped.connect(lambda paths: self.classify(paths[0], len(paths) - 1))
        self.classify_button.clicked.connect(self.ask_classify)
        self.classify_folder_button.clicked.connect(self.ask_classify_folder)
        self.classify_job.done.connect(self._on_classified)
        self.classify_job.failed.connect(lambda text: self._classify_ended(f"Cannot classify: {text}"))
        self.classify_job.cancelled.connect(lambda: self._classify_ended("Classifying stopped"))
        self.stop_classify_button.clicked.connect(self.classify_job.cancel)
        self.save_button.clicked.connect(self.ask_save_predictions)
        self.image_chooser.currentIndexChanged.connect(self._show_probabilities)
        self.save_job.done.connect(self._on_saved)
        self.save_job.failed.connect(lambda text: self._save_ended(f"Predictions not saved: {text}"))
        self._update_buttons()

    def _lay_out(self) -> None:
        baseline_row = QHBoxLayout()
        for widget in (self.baseline_button, self.baseline_progress, self.cancel_button):
            baseline_row.addWidget(widget)
        baseline_row.addWidget(self.baseline_label, 1)
        chart = QWidget()
        chart_column = QVBoxLayout(chart)
        chart_column.setContentsMargins(0, 0, 0, 0)
        chart_column.addWidget(self.plot, 1)
        chart_column.addWidget(self.summary_label)
        chart_column.addLayout(baseline_row)

        classify = QWidget()
        classify_column = QVBoxLayout(classify)
        classify_column.setContentsMargins(0, 0, 0, 0)
        classify_column.addWidget(self.drop_area)
        buttons = QHBoxLayout()
        buttons.addWidget(self.classify_button)
        buttons.addWidget(self.classify_folder_button)
        buttons.addWidget(self.stop_classify_button)
        classify_column.addLayout(buttons)
        classify_column.addWidget(self.result_label)
        classify_column.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)
        classify_column.addWidget(self.image_chooser)
        classify_column.addWidget(self.probabilities)
        classify_column.addStretch(1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(chart)
        top.addWidget(classify)
        top.setStretchFactor(0, 1)
        top.setSizes([640, 260])

        matrix = QWidget()
        matrix_column = QVBoxLayout(matrix)
        matrix_column.setContentsMargins(0, 0, 0, 0)
        matrix_column.addWidget(self.matrix_title)
        matrix_row = QHBoxLayout()
        matrix_row.addWidget(self.matrix, 0, Qt.AlignmentFlag.AlignTop)
        matrix_row.addWidget(self.class_table, 0, Qt.AlignmentFlag.AlignTop)
        matrix_row.addStretch(1)
        matrix_column.addLayout(matrix_row)
        matrix_column.addStretch(1)

        halves = QSplitter(Qt.Orientation.Vertical)
        halves.addWidget(top)
        halves.addWidget(matrix)
        halves.setStretchFactor(0, 1)  # a taller window gives the chart the room; the tables keep their size
        halves.setSizes([380, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(halves)

    # --- the run's scores --------------------------------------------------------------------
    def clear(self) -> None:
        """Forgets the scores; the baseline goes with the run folder (set_run_folder)."""
        self.latest = None
        self.plot.clear_points()
        self.matrix.show_report(None)
        self.class_table.show_report(None)
        self.matrix_title.setText("Confusion matrix")
        self.summary_label.setText(NO_SCORES)
        self._forget_classified()
        self.scores_changed.emit()

    def set_run_folder(self, run_dir: str | None, config: RunConfig | None = None) -> None:
        """The run whose checkpoint classifies dropped images and whose baseline is drawn, if measured; its
        config (the caller has it: no second read of config.json) says whether it has a fair baseline."""
        self.no_baseline_reason = baseline_problem(config) if run_dir is not None and config is not None else None
        if run_dir != self.run_dir:  # what the last run's baseline gave is not this one's
            # nor is a job still working for it: it would take the cores from this run, then be shown here
            self.baseline_job.cancel()
            self.classify_job.cancel()
            self.baseline_label.setText(f"No baseline: {self.no_baseline_reason}" if self.no_baseline_reason else "")
            self._forget_classified()  # an image classified by the last run's checkpoint, or being classified
        self.run_dir = run_dir
        self._k = config.train.k if config is not None else 1
        measured = None
        if run_dir is not None and (Path(run_dir) / BASELINE_FILE).is_file():  # the import costs only when used
            from ganstudio.core.semi.baseline import read_baseline

            measured = read_baseline(run_dir)
        self.show_measured(measured)
        self._update_buttons()

    def add(self, step: int, report: ClassifierReport) -> None:
        """One held-out check of the run training here (a watched or opened run's come through add_all)."""
        self.add_all([(step, report)])

    def add_all(self, scores: list[tuple[int, ClassifierReport]]) -> None:
        """Held-out checks in step order (a run folder's log): all on the chart, the tables for the last only."""
        if not scores:
            return
        self.plot.add_all([(step, report.accuracy) for step, report in scores])
        step, report = self.latest = scores[-1]
        self.matrix.show_report(report)
        self.class_table.show_report(report)
        # its header as tall as the matrix's stacked class names: the rows line up, and the table is no longer
        # stretched to the matrix's height with an empty band at its foot
        self.class_table.horizontalHeader().setMinimumHeight(self.matrix.horizontalHeader().sizeHint().height())
        self._fit_baseline()
        classes = len(report.class_names)
        self.matrix_title.setText(
            f"Confusion matrix and per-class accuracy at step {step:,} (rows: true class, columns: D's choice)"
            if classes <= MAX_SHOWN_CLASSES
            else f"Per-class accuracy at step {step:,}; the confusion matrix of {classes:,} classes is too large to "
            "show here: `ganstudio eval CHECKPOINT --classifier --json FILE` writes it"
        )
        self._show_summary()
        self.scores_changed.emit()

    def show_measured(self, measured: MeasuredBaseline | None) -> None:
        """The run folder's baseline (None: it has none)."""
        self.measured = measured
        self._fit_baseline()
        self._show_summary()

    def _fit_baseline(self) -> None:
        """The measured baseline, drawn and compared with when it trained as many D updates as the score shown has:
        one of the run's full length beside the score of a run stopped early read as a fair gain."""
        m, note = self.measured, ""
        if m is not None and self.latest is not None:
            step = self.latest[0]
            updates = step * self._k
            if not m.compares_with(updates):
                note = (
                    f"The baseline trained {m.updates:,} D updates, this run {updates:,} by step {step:,}: "
                    "measure it again to compare them"
                )
        if note:
            self.baseline_label.setText(note)
        elif self._unfit_note and self.baseline_label.text() == self._unfit_note:  # it fits the score shown now
            self.baseline_label.setText("")  # but a "Baseline measured" or "No baseline" line said since stays
        self._unfit_note = note
        report = m.report if m is not None and not note else None
        if report is not self.baseline:  # a score of a live run would fill the class table again for nothing
            self._draw_baseline(report)

    def _draw_baseline(self, report: ClassifierReport | None) -> None:
        self.baseline = report
        self.plot.show_baseline(None if report is None else report.accuracy)
        self.class_table.show_baseline(report)

    def _show_summary(self) -> None:
        if self.latest is None:
            self.summary_label.setText(NO_SCORES)
            return
        step, report = self.latest
        text = f"Step {step:,}: held-out accuracy {report.accuracy:.1%}"
        if self.baseline is not None:
            gain = gain_points(report.accuracy, self.baseline.accuracy)
            text += f" · supervised baseline {self.baseline.accuracy:.1%} ({gain:+.1f} points)"
        self.summary_label.setText(f"{text}\nScored on the {report.split}")

    # --- the baseline ------------------------------------------------------------------------
    def measure_baseline(self) -> None:
        if self.run_dir is None or self.baseline_job.busy:
            return
        if gone := self._folder_gone():
            self.baseline_label.setText(f"Baseline not measured: {gone}")
            return
        self.baseline_progress.setRange(0, 0)  # busy until the first progress
        self.baseline_label.setText("Measuring the supervised baseline…")
        self.measuring_for = self.run_dir
        self.baseline_job.start(self.run_dir, self.latest[0] if self.latest is not None else None)
        self._update_buttons()

    def _folder_gone(self) -> str:
        """Why the run's folder cannot be used (moved or removed since it was opened), or ""."""
        if self.run_dir is None or Path(self.run_dir).is_dir():
            return ""
        return f"{run_folder_gone(self.run_dir)}; {OPEN_IT_WHERE_IT_IS}"

    def _on_baseline_progress(self, step: int, total: int) -> None:
        self.baseline_progress.setRange(0, total)
        self.baseline_progress.setValue(step)

    def _on_baseline_done(self, measured: MeasuredBaseline) -> None:
        self._baseline_ended(f"Baseline measured: {measured.report.accuracy:.1%} held-out accuracy")
        if self.measuring_for == self.run_dir:
            self.show_measured(measured)  # fitted to the score shown: the run may have scored again meanwhile

    def _baseline_ended(self, text: str) -> None:
        if self.measuring_for == self.run_dir:
            self.baseline_label.setText(text)
        self._update_buttons()

    def stop_jobs(self) -> None:
        """The window closes: a baseline being measured, or images being classified, stop at their next step."""
        self.baseline_job.cancel()
        self.classify_job.cancel()

    # --- classifying image files -------------------------------------------------------------
    def ask_classify(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Classify image",
            self.run_dir or "",
            "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.npy *-idx3-ubyte *-idx3-ubyte.gz);;All files (*)",
        )
        if path:
            self.classify(path)

    def ask_classify_folder(self) -> None:
        """The file dialog above picks files only: a folder of images has its own."""
        folder = QFileDialog.getExistingDirectory(self, "Classify a folder of images", self.run_dir or "")
        if folder:
            self.classify(folder)

    def classify(self, path: str, others_dropped: int = 0) -> None:
        """Classifies an image file (or folder, .npy, idx file) with the run's latest checkpoint.
        others_dropped: files dropped with it, not classified (the result says so)."""
        from ganstudio.core.runlog import RunDirectory

        if self.classify_job.busy:
            self.result_label.setText("Still classifying the last image…")
            return
        self._forget_classified()  # the last image's, which stood under a "Cannot classify" for this one
        if self.run_dir is None:
            self.result_label.setText(f"Cannot classify: {NO_RUN}")
            return
        if gone := self._folder_gone():
            self.result_label.setText(f"Cannot classify: {gone}")
            return
        checkpoint = RunDirectory(self.run_dir).latest_checkpoint
        if not checkpoint.is_file():
            self.result_label.setText("Cannot classify: the run has saved no checkpoint yet")
            return
        self.result_label.setText(f"Classifying {Path(path).name}…")
        self.others_dropped = others_dropped
        self.classifying_for = self.run_dir
        self.classify_job.start(str(checkpoint), path)
        self._update_buttons()

    def _on_classified(self, result: ClassifiedImages) -> None:
        if self.classifying_for != self.run_dir:  # another run's checkpoint classified it
            self._update_buttons()
            return
        self.classified = result
        if len(result.names) == 1:
            text = self._called(0)
        else:
            counts = np.bincount(result.probabilities.argmax(axis=1), minlength=len(result.class_names))
            common = [k for k in np.argsort(-counts, kind="stable")[:3] if counts[k]]
            said = ", ".join(f"{result.class_names[k]} {counts[k]:,}" for k in common)
            text = f"{len(result.names):,} images read (most called {said}): choose one below to see its probabilities"
            if len(result.names) > MAX_LISTED:
                text += f" (the first {MAX_LISTED:,} are listed)"
        self.image_chooser.blockSignals(True)  # filled whole before the table follows the choice
        self.image_chooser.clear()
        # the class first: a long file name is cut short at the column's edge, and the class is what is read
        self.image_chooser.addItems(
            [self._called(i, class_first=True) for i in range(min(len(result.names), MAX_LISTED))]
        )
        self.image_chooser.blockSignals(False)
        self.image_chooser.setVisible(len(result.names) > 1)
        self._show_probabilities(0)
        if result.skipped:
            text += f"; {len(result.skipped):,} skipped, not readable images: {first_named(result.skipped)}"
        if result.training_note:
            text += f"; {result.training_note}"
        if self.others_dropped:
            text += f"; the first of {self.others_dropped + 1} files dropped (drop a folder to classify them all)"
        self.classified_text = text
        self._classify_ended(text)

    def _called(self, index: int, class_first: bool = False) -> str:
        """An image of the shown result and the class D gives it: "shirt.png: Shirt (98.0%)", or with the
        class first "Shirt (98.0%): shirt.png"."""
        assert self.classified is not None
        row = self.classified.probabilities[index]
        best = int(row.argmax())
        called = f"{self.classified.class_names[best]} ({float(row[best]):.1%})"
        name = self.classified.names[index]
        return f"{called}: {name}" if class_first else f"{name}: {called}"

    def _show_probabilities(self, index: int) -> None:
        """The chosen image's probabilities, most likely first."""
        if self.classified is None or index < 0:
            return
        row = self.classified.probabilities[index]
        order = sorted(range(len(row)), key=lambda k: -float(row[k]))
        with filled_at_once(self.probabilities):
            self.probabilities.setRowCount(len(order))
            self.probabilities.setVerticalHeaderLabels([self.classified.class_names[k] for k in order])
            for line, k in enumerate(order):
                item = QTableWidgetItem(f"{float(row[k]):.1%}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.probabilities.setItem(line, 0, item)

    def _classify_ended(self, text: str) -> None:
        if self.classifying_for == self.run_dir:
            self.result_label.setText(text)
        self._update_buttons()

    def _forget_classified(self) -> None:
        self.classified, self.classified_text = None, ""
        self.result_label.setText("")
        self.probabilities.setRowCount(0)
        self.image_chooser.clear()
        self.image_chooser.hide()
        self._update_buttons()

    # --- saving what was classified ----------------------------------------------------------
    def ask_save_predictions(self) -> None:
        if self.classified is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save predictions", predictions_path(self.classified.source), "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.save_predictions(path)

    def save_predictions(self, path: str) -> None:
        """Writes the shown result's CSV to path, on a pool thread; the outcome is said under the result."""
        result = self.classified
        if result is None or self.save_job.busy:
            return
        taken = overwritten_by_predictions(path, result.source, result.checkpoint)
        if taken is not None:
            what = {result.checkpoint: "the run's checkpoint", result.source: "the file classified"}.get(
                str(taken), "one of the images classified"
            )
            self._save_ended(f"Predictions not saved: {path} is {what}; choose another file")
            return
        self.saving = result
        self.result_label.setText(f"{self.classified_text}\nSaving {counted(len(result.names), 'prediction')}…")
        self.save_job.start(path, result)
        self._update_buttons()

    def _on_saved(self, path: str) -> None:
        if self.saving is not None:
            self._save_ended(f"Saved {counted(len(self.saving.names), 'prediction')} to {path}")

    def _save_ended(self, text: str) -> None:
        if self.classified is not None and (self.saving is None or self.saving is self.classified):
            self.result_label.setText(f"{self.classified_text}\n{text}")
        self.saving = None
        self._update_buttons()

    def _update_buttons(self) -> None:
        measuring = self.baseline_job.busy
        self.baseline_button.setEnabled(self.run_dir is not None and not measuring and not self.no_baseline_reason)
        self.baseline_button.setToolTip(
            f"Unavailable: {self.no_baseline_reason}" if self.no_baseline_reason else BASELINE_HELP
        )
        self.baseline_progress.setVisible(measuring)
        self.cancel_button.setVisible(measuring)
        for button, tip in ((self.classify_button, CLASSIFY_HELP), (self.classify_folder_button, CLASSIFY_FOLDER_HELP)):
            button.setEnabled(self.run_dir is not None and not self.classify_job.busy)
            button.setToolTip(tip if self.run_dir is not None else f"Unavailable: {NO_RUN}")
        self.stop_classify_button.setVisible(self.classify_job.busy)
        self.save_button.setEnabled(self.classified is not None and not self.save_job.busy)
        self.save_button.setToolTip(SAVE_HELP if self.classified is not None else "Unavailable: classify images first")
