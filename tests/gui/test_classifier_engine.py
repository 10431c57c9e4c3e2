"""The Classifier tab with the semi-supervised engine: a tiny real run scores D live, its checkpoint
classifies a dropped image on a pool thread, and the supervised baseline is measured and cancelled."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ganstudio.core.imaging import save_png
from ganstudio.core.semi.report import BASELINE_FILE
from tests.conftest import tiny_image_config
from tests.gui.conftest import wait_finished
from tests.gui.test_classifier_tab import semi_config


@pytest.fixture
def semi_window(qtbot, make_window):
    """A window that has trained a tiny semi-supervised run to its end."""
    cfg = semi_config(labelled_per_class=2, steps=10)
    cfg.quality.every, cfg.quality.samples = 5, 60
    w = make_window(cfg)
    w.start()
    assert wait_finished(qtbot, w) == "done"
    w.tabs.setCurrentWidget(w.classifier)
    return w


def drop(widget, path: Path, *more: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in (path, *more)])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    widget.dropEvent(event)  # Qt delivers a drop only during a real drag: the handler itself, as a drop calls it


def test_a_run_scores_live_and_its_checkpoint_classifies_a_dropped_image(qtbot, semi_window, tmp_path):
    view = semi_window.classifier
    assert semi_window.tabs.isTabVisible(semi_window.tabs.indexOf(view))
    assert list(view.plot.series.column("step"))[-1] == 10
    assert view.matrix.rowCount() == 10
    image = save_png(np.random.default_rng(0).integers(0, 256, (40, 40), dtype=np.uint8), tmp_path / "shirt.png")
    drop(view.drop_area, image)
    qtbot.waitUntil(lambda: not view.classify_job.busy, timeout=30000)
    assert view.result_label.text().startswith("shirt.png: "), view.result_label.text()
    names = [view.probabilities.verticalHeaderItem(i).text() for i in range(view.probabilities.rowCount())]
    assert sorted(names) == sorted(view.latest[1].class_names)
    shares = [float(view.probabilities.item(i, 0).text().rstrip("%")) for i in range(len(names))]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(100, abs=0.6)
    assert view.result_label.text().startswith(f"shirt.png: {names[0]} (")
    assert "training images" not in view.result_label.text()  # random pixels: none of the run's

    from ganstudio.core.data.images import bundled_fashion_images

    np.save(tmp_path / "bundled.npy", bundled_fashion_images()[:100, 0])  # most of them the run trained on
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(tmp_path / "bundled.npy"))
    assert "77 of these 100 images are among the run's training images, none of them one of the 20 whose labels" in (
        view.result_label.text()
    )  # as classify's CLI note


def test_a_file_that_is_not_an_image_is_refused_in_one_line(qtbot, semi_window, tmp_path):
    view = semi_window.classifier
    image = save_png(np.zeros((28, 28), dtype=np.uint8), tmp_path / "dark.png")
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(image))
    assert view.probabilities.rowCount() == 10
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with qtbot.waitSignal(view.classify_job.failed, timeout=30000):
        view.classify(str(bad))
    assert view.result_label.text().startswith("Cannot classify: ")
    assert "\n" not in view.result_label.text()
    assert view.probabilities.rowCount() == 0  # dark.png's probabilities stood under the refusal
    assert not semi_window.findChildren(QMessageBox)


def test_classify_folder_chooses_a_folder_and_classifies_its_images(qtbot, semi_window, tmp_path, monkeypatch):
    """The file dialog of Classify image picks files only; a folder had to be dropped."""
    folder = tmp_path / "shirts"
    folder.mkdir()
    for i in range(3):
        save_png(np.full((28, 28), 40 * i, dtype=np.uint8), folder / f"{i}.png")
    view = semi_window.classifier
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(folder))  # the user's choice
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        qtbot.mouseClick(view.classify_folder_button, Qt.MouseButton.LeftButton)
    text = view.result_label.text()
    assert text.startswith("3 images read (most called ") and text.endswith(
        ": choose one below to see its probabilities"
    ), text
    called = text.split("(most called ")[1].split(")")[0].split(", ")  # "Trouser 2", "Bag 1": 3 in all
    assert sum(int(part.rsplit(" ", 1)[1]) for part in called) == 3
    chooser = view.image_chooser
    assert chooser.isVisible() and chooser.count() == 3 and chooser.currentText().endswith("%): 0.png")
    assert view.probabilities.rowCount() == 10
    for index in (2, 0):  # each image's own probabilities, its class on top
        chooser.setCurrentIndex(index)
        probabilities = view.classified.probabilities[index]
        top = view.probabilities.verticalHeaderItem(0).text()
        assert chooser.currentText() == f"{top} ({probabilities.max():.1%}): {index}.png"
        shown = [view.probabilities.item(i, 0).text() for i in range(10)]
        assert shown == [f"{p:.1%}" for p in sorted(probabilities, reverse=True)]


def test_several_dropped_files_say_that_only_the_first_was_classified(qtbot, semi_window, tmp_path):
    files = [save_png(np.full((28, 28), 50 * i, dtype=np.uint8), tmp_path / f"{i}.png") for i in range(3)]
    view = semi_window.classifier
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        drop(view.drop_area, *files)
    text = view.result_label.text()
    assert text.startswith("0.png: ") and text.endswith(
        "; the first of 3 files dropped (drop a folder to classify them all)"
    ), text
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        drop(view.drop_area, files[1])
    assert view.result_label.text().startswith("1.png: ") and "dropped" not in view.result_label.text()


def test_an_ordinary_checkpoint_is_refused_in_one_line(qtbot, make_window):
    w = make_window(tiny_image_config(steps=10))
    w.start()
    assert wait_finished(qtbot, w) == "done"
    w.classifier.set_run_folder(w.run_dir)
    with qtbot.waitSignal(w.classifier.classify_job.failed, timeout=30000):
        w.classifier.classify(str(Path(w.run_dir) / "samples"))
    assert w.classifier.result_label.text().startswith("Cannot classify: ")
    assert not w.findChildren(QMessageBox)


def test_the_baseline_is_measured_drawn_and_read_back(qtbot, semi_window, make_window):
    view = semi_window.classifier
    assert view.baseline_button.isEnabled() and not view.cancel_button.isVisible()
    with qtbot.waitSignal(view.baseline_job.done, timeout=60000):
        view.baseline_button.click()
        assert view.cancel_button.isVisible() and not view.baseline_button.isEnabled()
    assert (Path(semi_window.run_dir) / BASELINE_FILE).is_file()
    assert view.plot.baseline_line.isVisible()
    assert view.baseline_label.text().startswith("Baseline measured: ")
    assert view.baseline_button.isEnabled() and not view.baseline_progress.isVisible()

    other = make_window()
    assert other.files.open_run(semi_window.run_dir)
    assert other.classifier.plot.baseline_line.isVisible()
    assert other.classifier.plot.baseline == pytest.approx(view.plot.baseline)
    # the run continued: its gain at step 20 over a baseline of half its length would mean nothing
    other.classifier.add(20, other.classifier.latest[1])
    assert not other.classifier.plot.baseline_line.isVisible() and other.classifier.baseline is None
    assert other.classifier.baseline_label.text() == (
        "The baseline trained 10 D updates, this run 20 by step 20: measure it again to compare them"
    )
    view.set_run_folder(str(Path(semi_window.run_dir).parent / "another-run"))
    assert view.baseline_label.text() == "" and not view.plot.baseline_line.isVisible()  # that run has none


def test_the_baseline_trains_as_long_as_the_score_shown_and_no_gain_is_said_against_another_length(qtbot, semi_window):
    """A run stopped at step 563 of 1,500, its last score at step 500: Measure baseline trained 1,500 updates, and the
    tab said "-0.3 points" as if the two compared."""
    from ganstudio.core.semi.baseline import read_baseline

    view = semi_window.classifier
    last = view.latest[1]
    view.clear()
    view.add(5, last)  # as a run that stopped early shows it: its last score at step 5 of its 10
    with qtbot.waitSignal(view.baseline_job.done, timeout=60000):
        view.baseline_button.click()
    assert read_baseline(semi_window.run_dir).updates == 5
    assert view.plot.baseline_line.isVisible() and "points)" in view.summary_label.text()
    view.add(10, last)  # carried on to its end: a score at step 10 is not compared with 5 updates
    assert not view.plot.baseline_line.isVisible() and "points)" not in view.summary_label.text()
    assert view.baseline_label.text() == (
        "The baseline trained 5 D updates, this run 10 by step 10: measure it again to compare them"
    )
    with qtbot.waitSignal(view.baseline_job.done, timeout=60000):  # as the note asks: its result stays said
        view.baseline_button.click()
    assert view.baseline_label.text().startswith("Baseline measured: ") and view.plot.baseline_line.isVisible()


def test_measuring_the_baseline_can_be_cancelled(qtbot, semi_window):
    view = semi_window.classifier
    with qtbot.waitSignal(view.baseline_job.cancelled, timeout=60000):
        view.baseline_button.click()
        view.cancel_button.click()
    assert not (Path(semi_window.run_dir) / BASELINE_FILE).exists()
    assert view.baseline_label.text() == "Baseline cancelled; nothing was saved"
    assert not view.plot.baseline_line.isVisible()


def threads() -> int:
    return len(list(Path("/proc/self/task").iterdir()))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through Linux's /proc")
def test_a_classifier_job_leaves_no_thread_behind_to_slow_the_next_run(qtbot, semi_window, tmp_path):
    """The job's pool thread and the OpenMP worker it started are gone soon after, not Qt's 30 s later."""
    view = semi_window.classifier
    image = save_png(np.zeros((28, 28), dtype=np.uint8), tmp_path / "blank.png")
    before = threads()
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(image))
    qtbot.waitUntil(lambda: threads() <= before, timeout=5000)


def test_a_baseline_or_a_classification_for_one_run_is_not_shown_for_the_next(qtbot, semi_window, tmp_path):
    """Another run opened (or started) while the last one's baseline trained: that baseline was drawn as the
    new run's reference, and trained on every core beside the new run until it ended."""
    view = semi_window.classifier
    other = tmp_path / "another-run"
    view.baseline_button.click()
    view.set_run_folder(str(other))
    qtbot.waitUntil(lambda: not view.baseline_job.busy, timeout=60000)
    assert view.baseline is None and not view.plot.baseline_line.isVisible()
    assert view.baseline_label.text() == ""
    assert not (Path(semi_window.run_dir) / BASELINE_FILE).exists()  # cancelled: nothing written

    view.set_run_folder(semi_window.run_dir)
    image = save_png(np.zeros((28, 28), dtype=np.uint8), tmp_path / "dark.png")
    view.classify(str(image))
    view.set_run_folder(str(other))
    qtbot.waitUntil(lambda: not view.classify_job.busy, timeout=30000)
    assert view.probabilities.rowCount() == 0 and view.result_label.text() == ""


def test_opening_the_run_already_shown_keeps_its_baseline_measuring(qtbot, semi_window):
    """Opening (or watching) a run went through the tab letting go of its folder: the run already shown,
    opened again, had its baseline cancelled on the way."""
    from ganstudio.core.runlog import RunDirectory

    run = RunDirectory(semi_window.run_dir)
    longer = run.read_config()
    longer.train.steps = 3000  # a baseline of seconds, still measuring when the folder is opened again
    run.write_config(longer)
    view = semi_window.classifier
    view.baseline_button.click()
    assert semi_window.files.open_run(run.path)
    qtbot.waitUntil(lambda: not view.baseline_job.busy, timeout=60000)
    assert view.baseline_label.text().startswith("Baseline measured"), view.baseline_label.text()
    assert (run.path / BASELINE_FILE).is_file() and view.plot.baseline_line.isVisible()


def test_measuring_the_baseline_of_an_opened_folder_downloads_nothing_its_config_names(qtbot, make_window, tmp_path):
    """A run folder's config.json is a file anyone may have written: the baseline fetched the data set it named
    into the folder it named, where a resume of the same folder refuses to download anything."""
    from ganstudio.core.runlog import RunDirectory

    cfg = semi_config(labelled_per_class=2, steps=10)
    cfg.data.dataset, cfg.data.path, cfg.data.image_size = "mnist", str(tmp_path / "fetched-here"), 28
    run = RunDirectory.create(tmp_path, "theirs")
    run.write_config(cfg)
    view = make_window().classifier
    view.set_run_folder(str(run.path), cfg)
    with qtbot.waitSignal(view.baseline_job.failed, timeout=60000):
        view.baseline_button.click()
    assert "nothing is downloaded here" in view.baseline_label.text(), view.baseline_label.text()
    assert not (tmp_path / "fetched-here").exists()


def test_a_baseline_for_a_folder_that_cannot_be_written_is_refused_before_it_trains(
    qtbot, make_window, tmp_path, monkeypatch
):
    """It trained for the whole measurement, then said the file could not be saved, and the number was lost. Root
    writes through any mode, so the folder's answer to a write is planted where the job asks it."""
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.semi import baseline

    cfg = semi_config(labelled_per_class=2, steps=10)
    run = RunDirectory.create(tmp_path, "shared")
    run.write_config(cfg)
    real = baseline.cannot_write_in
    monkeypatch.setattr(baseline, "cannot_write_in", lambda f: "Read-only file system" if f == run.path else real(f))
    view = make_window().classifier
    view.set_run_folder(str(run.path), cfg)
    progressed = []
    view.baseline_job.progressed.connect(lambda step, total: progressed.append(step))
    with qtbot.waitSignal(view.baseline_job.failed, timeout=60000):
        view.baseline_button.click()
    assert view.baseline_label.text().startswith(f"Baseline not measured: {run.path} cannot be written to (Read-only")
    assert progressed == [] and not (run.path / BASELINE_FILE).exists()


def test_a_new_run_refused_by_its_data_leaves_no_tab_acting_on_the_last_run(qtbot, semi_window, tmp_path):
    """A start refused after the views were emptied left the tab on the last run's folder: Measure baseline
    then trained and wrote over that run's baseline under an empty chart."""
    for name, count in (("boot", 12), ("shoe", 2)):
        (tmp_path / "set" / name).mkdir(parents=True)
        for i in range(count):
            save_png(np.full((28, 28), 20 * i, np.uint8), tmp_path / "set" / name / f"{i}.png")
    cfg = semi_config(labelled_per_class=1, steps=10)
    cfg.data.dataset, cfg.data.path = "image-folder", str(tmp_path / "set")
    semi_window.form.set_config(cfg)
    qtbot.waitUntil(semi_window.controls.start_button.isEnabled, timeout=30000)  # the form has counted the images
    with qtbot.waitSignal(semi_window.controller.finished, timeout=30000) as done:
        semi_window.start()
    assert done.args == ["error"] and "class shoe has 2 images" in semi_window.errors.dialog.text()
    semi_window.errors.dialog.accept()
    view = semi_window.classifier
    assert view.run_dir is None and not view.baseline_button.isEnabled()
    assert not view.classify_button.isEnabled() and view.classify_button.toolTip().startswith("Unavailable: ")


def test_classifying_a_folder_can_be_stopped(qtbot, semi_window, tmp_path):
    """A dropped folder of many images decoded to its end with no way to stop it, and on past the window."""
    view = semi_window.classifier
    for i in range(50):
        save_png(np.full((28, 28), i, np.uint8), tmp_path / f"{i}.png")
    assert not view.stop_classify_button.isVisible()
    with qtbot.waitSignal(view.classify_job.cancelled, timeout=30000):
        view.classify(str(tmp_path))
        assert view.stop_classify_button.isVisible() and not view.classify_folder_button.isEnabled()
        view.stop_classify_button.click()
    assert view.result_label.text() == "Classifying stopped" and view.probabilities.rowCount() == 0
    assert not view.stop_classify_button.isVisible() and view.classify_folder_button.isEnabled()


def test_save_predictions_writes_the_csv_classify_writes_for_the_same_images(qtbot, semi_window, tmp_path, monkeypatch):
    """A folder classified in the window showed its first image only: every image's row is now saved, in
    the file `ganstudio classify --out` writes."""
    import csv

    from ganstudio.cli import main

    folder = tmp_path / "shirts"
    folder.mkdir()
    for i in range(3):
        save_png(np.full((28, 28), 40 * i, dtype=np.uint8), folder / f"{i}.png")
    view = semi_window.classifier
    assert not view.save_button.isEnabled()  # nothing classified yet
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(folder))
    assert view.save_button.isEnabled()
    proposed = []
    out = tmp_path / "window.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (proposed.append(args[2]), (str(out), ""))[1])
    with qtbot.waitSignal(view.save_job.done, timeout=30000):
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert proposed == [str(tmp_path / "shirts-predictions.csv")]  # beside the folder, named after it
    text = view.result_label.text()
    assert text.startswith("3 images read") and text.endswith(f"\nSaved 3 predictions to {out}"), text
    checkpoint = str(Path(semi_window.run_dir) / "checkpoints" / "latest.pt")
    assert main(["classify", checkpoint, str(folder), "--out", str(tmp_path / "cli.csv")]) == 0
    rows = list(csv.reader(out.open()))
    assert rows == list(csv.reader((tmp_path / "cli.csv").open()))
    assert [row[0] for row in rows] == ["name", "0.png", "1.png", "2.png"]


def test_predictions_that_cannot_be_saved_say_why_and_overwrite_nothing_classified(qtbot, semi_window, tmp_path):
    view = semi_window.classifier
    images = tmp_path / "x.npy"
    np.save(images, np.zeros((2, 28, 28), dtype=np.uint8))
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(images))
    before = images.read_bytes()
    view.save_predictions(str(images))  # the classified file itself, chosen in the dialog
    assert view.result_label.text().endswith(
        f"\nPredictions not saved: {images} is the file classified; choose another file"
    )
    checkpoint = Path(semi_window.run_dir) / "checkpoints" / "latest.pt"
    kept = checkpoint.read_bytes()
    view.save_predictions(str(checkpoint))
    assert view.result_label.text().endswith("is the run's checkpoint; choose another file")
    assert checkpoint.read_bytes() == kept
    assert images.read_bytes() == before
    folder = tmp_path / "pics"
    folder.mkdir()
    picture = save_png(np.zeros((28, 28), dtype=np.uint8), folder / "0.png")
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(folder))
    view.save_predictions(str(picture))  # one of the folder's images, as `classify --out` refuses it
    assert view.result_label.text().endswith("is one of the images classified; choose another file")
    assert picture.read_bytes().startswith(b"\x89PNG")
    with qtbot.waitSignal(view.save_job.failed, timeout=30000):
        view.save_predictions(str(images / "p.csv"))  # a folder that is a file
    lines = view.result_label.text().split("\n")
    assert len(lines) == 2 and lines[1].startswith("Predictions not saved: ") and "Errno" not in lines[1], lines
    assert not semi_window.findChildren(QMessageBox)


def test_a_new_classification_or_run_leaves_nothing_to_save(qtbot, semi_window, tmp_path):
    view = semi_window.classifier
    image = save_png(np.zeros((28, 28), dtype=np.uint8), tmp_path / "dark.png")
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(image))
    assert view.save_button.isEnabled()
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with qtbot.waitSignal(view.classify_job.failed, timeout=30000):
        view.classify(str(bad))
    assert not view.save_button.isEnabled()  # dark.png's rows are not what the label now speaks of
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(image))
    semi_window.files.new_run()
    assert not view.save_button.isEnabled()


def test_a_large_set_lists_its_first_images_to_choose_from_and_says_so(qtbot, semi_window, tmp_path):
    from ganstudio.gui.widgets.classifier_view import MAX_LISTED

    images = tmp_path / "many.npy"
    np.save(images, np.zeros((MAX_LISTED + 5, 28, 28), dtype=np.uint8))
    view = semi_window.classifier
    with qtbot.waitSignal(view.classify_job.done, timeout=60000):
        view.classify(str(images))
    assert view.image_chooser.count() == MAX_LISTED
    assert f"{MAX_LISTED + 5:,} images read" in view.result_label.text()
    assert view.result_label.text().endswith(f"(the first {MAX_LISTED:,} are listed)")


def test_a_save_that_ends_after_the_same_images_were_classified_again_is_not_said_of_them(qtbot, semi_window, tmp_path):
    """Its end compared the two results with ==, which a result holding numpy arrays refuses: the slot raised,
    and the tab kept saying it was saving. A pipe nobody reads yet holds the save until the test reads it."""
    import os
    import threading

    view = semi_window.classifier
    images = tmp_path / "x.npy"
    np.save(images, np.zeros((2, 28, 28), dtype=np.uint8))
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(images))
    pipe = tmp_path / "predictions.csv"
    os.mkfifo(pipe)
    view.save_predictions(str(pipe))
    assert view.save_job.busy
    with qtbot.waitSignal(view.classify_job.done, timeout=30000):
        view.classify(str(images))  # the same file again, while its save waits for a reader
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_bytes()))
    with qtbot.waitSignal(view.save_job.done, timeout=30000):
        reader.start()
    reader.join(timeout=10)
    assert read and read[0].startswith(b"name,predicted,")
    assert "Saved" not in view.result_label.text()  # it was the last result's save, not this one's
    assert not view.save_job.busy and view.save_button.isEnabled()
