"""The Classifier tab: shown for semi-supervised runs only, filled by ClassifierScored events from the
worker, from a run folder's metrics.jsonl (opened or watched), and with the baseline's dashed line."""

import re

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from ganstudio.core.events import ClassifierScored, QualityScored
from ganstudio.core.run_lock import RunLock
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.semi.baseline import MeasuredBaseline
from ganstudio.core.semi.report import ClassifierReport
from ganstudio.gui.widgets.accuracy_plot import AccuracyPlot
from tests.conftest import tiny_image_config
from tests.gui.conftest import draws_with_points

NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SPLIT = "held-out 2,000 of the bundled 10,000 (fixed 8,000 / 2,000 split)"


def semi_config(labelled_per_class=10, **train):
    cfg = tiny_image_config(**train)
    cfg.train.labelled_per_class = labelled_per_class
    return cfg


def report(right: float, seed: int = 0) -> ClassifierReport:
    """A report in which about `right` of 2,000 predictions are right."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(NAMES), 2000)
    predicted = np.where(rng.random(2000) < right, labels, (labels + 1) % len(NAMES))
    return ClassifierReport.from_predictions(predicted, labels, NAMES, SPLIT)


def tab_shown(window) -> bool:
    return window.tabs.isTabVisible(window.tabs.indexOf(window.classifier))


def semi_run(root, reports) -> RunDirectory:
    run = RunDirectory.create(root, "semi")
    run.write_config(semi_config())
    for step, scored in reports:
        for record in ClassifierScored(step, scored).to_records():
            run.append_event(record)
    return run


def test_the_tab_shows_for_a_semi_supervised_config_only(make_window):
    w = make_window(tiny_image_config())
    assert not tab_shown(w)
    w.form.set_config(semi_config(labelled_per_class=10))
    assert tab_shown(w)
    w.form.set_config(semi_config(labelled_per_class=0))
    assert not tab_shown(w)


def test_the_tab_stays_while_it_holds_the_last_runs_scores(make_window):
    w = make_window(semi_config())
    w.controller._route(ClassifierScored(10, report(0.7)))
    w.form.set_config(tiny_image_config())  # planning the next run, not semi-supervised
    assert tab_shown(w)
    w.files.new_run()  # the scores go, and the tab with them
    assert not tab_shown(w)


def test_scores_from_the_worker_draw_the_accuracy_and_fill_the_tables(make_window):
    w = make_window(semi_config())
    first, latest = report(0.5, seed=1), report(0.8, seed=2)
    w.controller._route(ClassifierScored(10, first))  # the worker's routing, as a run's events take it
    w.controller._route(ClassifierScored(20, latest))
    view = w.classifier
    x, y = view.plot.curve.getData()
    assert list(x) == [10, 20] and np.allclose(y, [100 * first.accuracy, 100 * latest.accuracy])
    matrix = view.matrix
    assert matrix.rowCount() == matrix.columnCount() == len(NAMES)
    assert [matrix.verticalHeaderItem(i).text() for i in range(len(NAMES))] == list(NAMES)
    assert matrix.horizontalHeaderItem(9).text().split() == ["Ankle", "boot"]  # one word a line
    assert matrix.item(3, 3).text() == f"{latest.confusion[3][3]:,}"
    assert matrix.item(3, 4).text() == f"{latest.confusion[3][4]:,}"
    table = view.class_table
    assert [table.verticalHeaderItem(i).text() for i in range(len(NAMES))] == list(NAMES)
    assert table.item(1, 0).text() == f"{latest.per_class['Trouser']:.1%}"
    assert table.isColumnHidden(1)  # no baseline yet
    assert f"{latest.accuracy:.1%}" in view.summary_label.text() and SPLIT in view.summary_label.text()
    assert "step 20" in view.matrix_title.text()


def test_a_baseline_draws_a_dashed_line_and_a_column(make_window):
    w = make_window(semi_config())
    view = w.classifier
    assert not view.plot.baseline_line.isVisible()
    view.add(10, report(0.8))
    baseline = report(0.6, seed=5)
    view.show_measured(MeasuredBaseline(baseline, None))  # a file written before baselines kept their length
    assert view.plot.baseline_line.isVisible()
    assert view.plot.baseline_line.value() == 100 * baseline.accuracy
    assert "supervised baseline" in view.plot.baseline_line.label.toPlainText()
    assert not view.class_table.isColumnHidden(1)
    assert view.class_table.item(0, 1).text() == f"{baseline.per_class[NAMES[0]]:.1%}"
    assert "points)" in view.summary_label.text()
    view.clear()  # a watched run's log began again: the scores go, the folder's baseline stays, drawn as said
    view.add(20, report(0.7))
    assert view.plot.baseline_line.isVisible() and "points)" in view.summary_label.text()
    assert not view.class_table.isColumnHidden(1)


def test_the_gain_is_the_difference_of_the_two_accuracies_shown(make_window):
    """70.05 % and 71.65 % were shown as 70.0 % and 71.7 % and said to be 1.6 points apart."""
    view = make_window(semi_config()).classifier
    labels = np.arange(2000) % len(NAMES)

    def scored(right: int) -> ClassifierReport:
        predicted = np.where(np.arange(2000) < right, labels, (labels + 1) % len(NAMES))
        return ClassifierReport.from_predictions(predicted, labels, NAMES, SPLIT)

    for run, baseline in ((1401, 1433), (1433, 1401), (1500, 1300)):
        view.add(10, scored(run))
        view.show_measured(MeasuredBaseline(scored(baseline), None))
        shown = re.search(
            r"accuracy ([\d.]+)% · supervised baseline ([\d.]+)% \(([-+][\d.]+) points\)", view.summary_label.text()
        )
        assert shown is not None, view.summary_label.text()
        assert f"{float(shown[1]) - float(shown[2]):+.1f}" == shown[3]


def test_a_run_folder_with_classifier_records_shows_them_when_opened_and_new_run_empties_it(make_window, tmp_path):
    run = semi_run(tmp_path, [(100, report(0.5)), (200, report(0.7, seed=3))])
    w = make_window()
    assert not tab_shown(w)
    assert w.files.open_run(run.path)
    assert tab_shown(w)
    assert list(w.classifier.plot.series.column("step")) == [100, 200]
    assert w.classifier.matrix.rowCount() == len(NAMES)
    assert not w.classifier.plot.baseline_line.isVisible()  # not measured
    w.files.new_run()
    assert len(w.classifier.plot.series) == 0 and w.classifier.matrix.rowCount() == 0
    assert not w.classifier.baseline_button.isEnabled()  # no run folder to measure it for


def test_a_run_with_adaptive_augmentation_offers_no_baseline_and_says_why(make_window, tmp_path):
    adaptive = RunDirectory.create(tmp_path, "adaptive")
    adaptive.write_config(semi_config(augment_translation=True, augment_adaptive=True))
    w = make_window()
    assert w.files.open_run(adaptive.path)
    label = w.classifier.baseline_label
    # the reason wraps beside the button: unwrapped, its 900 px squeezed the setup panel at 1280 x 800
    assert label.fontMetrics().horizontalAdvance(label.text()) > 600 > label.minimumSizeHint().width()
    button = w.classifier.baseline_button
    assert not button.isEnabled()
    assert button.toolTip().startswith("Unavailable: no fair supervised baseline for a run with adaptive augmentation")
    assert w.classifier.baseline_label.text().startswith("No baseline: no fair supervised baseline")  # seen unhovered
    plain = semi_run(tmp_path, [(100, report(0.5))])
    assert w.files.open_run(plain.path)
    assert button.isEnabled() and not button.toolTip().startswith("Unavailable")
    assert w.classifier.baseline_label.text() == ""


def test_a_watched_run_shows_its_classifier_records(qtbot, make_window, tmp_path):
    run = semi_run(tmp_path, [(100, report(0.5))])
    w = make_window()
    assert w.files.watch_run(run.path)
    assert tab_shown(w)
    qtbot.waitUntil(lambda: len(w.classifier.plot.series) == 1, timeout=10000)
    run.append_event(ClassifierScored(200, report(0.75, seed=4)).to_records()[0])
    qtbot.waitUntil(lambda: len(w.classifier.plot.series) == 2, timeout=10000)
    assert "Step 200" in w.classifier.summary_label.text()
    w.watch.leave()


def long_run(root, checks: int) -> RunDirectory:
    """A semi-supervised run's log as training writes it, a step's stats between any two checks; the FD's
    best at the middle check."""
    from ganstudio.core.stats import StepStats

    run = semi_run(root, [])
    quality = dict.fromkeys(("samples", "kid", "kid_std", "precision", "recall", "density", "coverage"), 0.5)
    quality |= {"memorisation_ratio": 1.5, "memorised_fraction": 0.0}
    for i in range(1, checks + 1):
        run.append_event(StepStats(100 * i, 1.0, 1.2, 0.6, 0.4, 1.0, 1.0, 0.01).to_record())
        run.append_event(ClassifierScored(100 * i, report(0.3 + 0.5 * i / checks, seed=i)).to_records()[0])
        frechet = abs(i - checks // 2) + 10.0
        record = {**quality, "frechet": frechet, "class_intra_fd": {NAMES[i % 10]: frechet}}
        run.append_event(QualityScored(100 * i, record, best=i <= checks // 2).to_records()[0])
    return run


@pytest.mark.parametrize("how", ["open", "watch"])
def test_a_long_runs_scores_are_drawn_once_when_opened_or_watched(qtbot, make_window, tmp_path, how):
    """Drawn a check at a time, a long run's log froze the window for seconds when opened or watched."""
    checks = 200
    run = long_run(tmp_path, checks)
    w = make_window()
    chart, accuracy = w.plots.quality, w.classifier.plot
    quality_draws, accuracy_draws = draws_with_points(chart.curve), draws_with_points(accuracy.curve)
    if how == "open":
        assert w.files.open_run(run.path)
    else:
        assert w.files.watch_run(run.path)
        qtbot.waitUntil(lambda: len(chart.series) == checks, timeout=10000)
        w.watch.leave()
    assert list(chart.series.column("step")) == [100 * i for i in range(1, checks + 1)]
    assert len(accuracy.series) == checks
    assert len(quality_draws) == len(accuracy_draws) == 1
    assert chart.best == (100 * (checks // 2), 10.0)  # the last flagged best, not the last check
    assert chart.label.text().startswith(f"step {100 * checks:,}: FD ")
    assert "best: FD 10.00 at step 10,000" in chart.label.text()
    assert chart.class_table.rowCount() == 1 and chart.class_table.verticalHeaderItem(0).text() == NAMES[0]
    assert w.classifier.summary_label.text().startswith(f"Step {100 * checks:,}: held-out accuracy")


def test_classifying_without_a_checkpoint_says_so_in_one_line(make_window, tmp_path):
    run = semi_run(tmp_path, [])
    w = make_window()
    assert w.files.open_run(run.path)
    w.classifier.classify(str(tmp_path / "shirt.png"))
    assert w.classifier.result_label.text() == "Cannot classify: the run has saved no checkpoint yet"
    assert not w.findChildren(QMessageBox)


def test_classify_baseline_and_the_lock_say_a_run_folder_moved_away_is_gone(make_window, tmp_path):
    """They said what was not the matter: "the run has saved no checkpoint yet" of a run that had saved two, and
    "cannot lock FOLDER for training: it is not a folder" (Continue's words) of a folder that was not there at all."""
    run = semi_run(tmp_path, [])
    w = make_window()
    assert w.files.open_run(run.path)
    run.path.rename(tmp_path / "moved")
    w.classifier.classify(str(tmp_path / "shirt.png"))
    gone = f"the run folder {run.path} is gone (moved or removed)"
    assert (
        w.classifier.result_label.text() == f"Cannot classify: {gone}; open it where it is now (File > Open run folder)"
    )
    w.classifier.measure_baseline()
    assert w.classifier.baseline_label.text().startswith(f"Baseline not measured: {gone}; open it where it is now")
    assert not w.classifier.baseline_job.busy
    with pytest.raises(RunError, match=re.escape(f"cannot lock for training: {gone}")):
        RunLock.acquire(run.path)
    assert not run.path.exists()


def test_every_control_of_the_tab_is_named_and_says_what_it_does(make_window):
    from PySide6.QtWidgets import QAbstractButton, QLabel, QProgressBar, QTableWidget

    view = make_window(semi_config()).classifier
    controls = [
        c
        for kind in (QAbstractButton, QTableWidget, QProgressBar)
        for c in view.findChildren(kind)
        if c.parent() is not None and not c.objectName().startswith("qt_")
    ]
    controls += [view.plot, view.drop_area, *(c for c in view.findChildren(QLabel) if c.toolTip())]
    assert len(controls) >= 10
    for control in controls:
        assert control.objectName() and control.toolTip(), control


def test_ctrl_k_classifies_from_any_tab_and_says_why_it_cannot_without_a_run(qtbot, make_window, tmp_path, monkeypatch):
    """Ctrl+K was the tab's button's own key: on the Training tab, or with no semi-supervised run, it did
    nothing and said nothing."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: asked.append("file") or ("", ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: asked.append("folder") or "")
    w = make_window(tiny_image_config())
    w.activateWindow()
    w.tabs.setFocus()
    qtbot.waitUntil(w.tabs.hasFocus, timeout=5000)
    QTest.keyClick(w.tabs, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert "open or start a semi-supervised run first" in w.statusBar().currentMessage() and asked == []
    assert w.files.open_run(semi_run(tmp_path, [(100, report(0.5))]).path)
    w.tabs.setCurrentIndex(0)
    w.tabs.setFocus()
    qtbot.waitUntil(w.tabs.hasFocus, timeout=5000)
    QTest.keyClick(w.tabs, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.currentWidget() is w.classifier and asked == ["file"]
    w.tabs.setCurrentIndex(0)
    QTest.keyClick(w.tabs, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.tabs.currentWidget() is w.classifier and asked == ["file", "folder"]


def test_the_baseline_progress_bar_fits_its_count_on_one_line(qtbot, make_window):
    w = make_window(semi_config())
    w.resize(1280, 800)
    w.tabs.setCurrentWidget(w.classifier)
    w.show()
    bar = w.classifier.baseline_progress
    bar.setRange(0, 15000)
    bar.setValue(3400)
    bar.show()
    qtbot.waitExposed(w)
    assert bar.width() >= bar.fontMetrics().horizontalAdvance(bar.text()) + bar.fontMetrics().height()


def test_the_per_class_table_lines_up_with_the_matrix_rows(qtbot, make_window):
    """The matrix's class names stack a word a line, so its header is taller: the table beside it was
    stretched to the matrix's height, its rows a line higher and an empty band at its foot."""
    w = make_window(semi_config())
    w.tabs.setCurrentWidget(w.classifier)
    w.classifier.add(10, report(0.8))
    matrix, table = w.classifier.matrix, w.classifier.class_table
    qtbot.waitUntil(lambda: table.isVisible() and matrix.height() > 0)
    for row in (0, 9):
        in_matrix = matrix.viewport().mapTo(w, matrix.visualItemRect(matrix.item(row, 0)).topLeft()).y()
        in_table = table.viewport().mapTo(w, table.visualItemRect(table.item(row, 0)).topLeft()).y()
        assert in_matrix == in_table
    assert table.height() == matrix.height()


def test_a_cleared_chart_does_not_keep_the_last_runs_steps(qtbot):
    """A new run's empty chart showed the last run's 500-600 until its first point."""
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.add_all([(500, 0.5)])
    plot.add_all([(600, 0.6)])
    qtbot.waitUntil(lambda: plot.viewRange()[0][0] > 490)
    plot.clear_points()
    assert plot.viewRange()[0] == [0.0, 1.0]
    plot.add_all([(100, 0.5)])
    plot.add_all([(200, 0.6)])
    qtbot.waitUntil(lambda: 90 < plot.viewRange()[0][0] < 100)  # and it follows the new run's points


def test_a_lone_score_is_shown_on_the_steps_from_zero(qtbot):
    """A short run scored only at its end showed its one point on an axis of 199.6 to 200.4."""
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.add_all([(200, 0.7)])
    qtbot.wait(100)  # auto-range, were it on, would have moved the view by now
    low, high = plot.viewRange()[0]
    assert low <= 0 and 200 <= high < 260
    plot.add_all([(400, 0.8)])  # then the points' own span, as before
    qtbot.waitUntil(lambda: 150 < plot.viewRange()[0][0] < 200)


def test_a_run_of_many_classes_shows_their_accuracies_without_a_matrix_no_one_could_read(make_window):
    """Every cell of a 100-class matrix was measured again for each cell set: seconds of frozen window per
    check, and a minute and a half at 300 classes; a matrix that size is no table to read anyway."""
    view = make_window(semi_config()).classifier
    names = tuple(f"class {i}" for i in range(200))
    rng = np.random.default_rng(0)
    labels = rng.integers(0, len(names), 4000)
    view.add(300, ClassifierReport.from_predictions(labels, labels, names, SPLIT))
    assert view.matrix.rowCount() == 0 and view.class_table.rowCount() == 200
    assert "the confusion matrix of 200 classes is too large to show here" in view.matrix_title.text()
    widest = view.class_table.fontMetrics().horizontalAdvance("100.0%")
    assert view.class_table.columnWidth(0) >= widest  # sized to its contents once the fill ended
    view.add(400, report(0.5))
    assert view.matrix.rowCount() == 10 and view.matrix.columnWidth(0) > 0
    assert view.matrix_title.text().startswith("Confusion matrix and per-class accuracy at step 400")
