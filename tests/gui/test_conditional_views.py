"""The training views of a class-conditional run: the sample grid's rows named by class (live and in
the history), and the Quality chart's conditional scores and per-class table."""

import numpy as np

from ganstudio.core.events import QualityScored, SampleFrame, event_from_record
from ganstudio.core.imaging import image_grid
from ganstudio.core.quality.scores import QualityReport
from ganstudio.gui.widgets.quality_plot import QualityPlot
from ganstudio.gui.widgets.sample_view import SampleView
from tests.conftest import tiny_image_config, tiny_toy_config, trained_run
from tests.gui.conftest import wait_finished

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def test_a_conditional_run_names_the_rows_of_its_samples_and_the_history_keeps_them(qtbot, make_window):
    cfg = tiny_image_config(steps=20, sample_every=10)
    cfg.model.conditional = "projection"
    w = make_window(cfg)
    w.start()
    assert wait_finished(qtbot, w) == "done"
    view = w.samples
    assert view.class_names == FASHION
    assert view.current_pixels().shape == (10 * 30 + 2, 8 * 30 + 2)  # a row of 8 styles per class
    assert view.visible_row_labels() == list(FASHION)
    ys = [item.pos().y() for item in view.row_labels]
    assert ys == [2 + i * 30 + 14 for i in range(10)]  # each name at the middle of its row
    view.history_slider.setValue(0)
    assert view.shown.step == 10 and view.visible_row_labels() == list(FASHION)
    other = make_window()
    assert other.files.open_run(w.run_dir)  # the names come back from the run's checkpoint
    assert other.samples.visible_row_labels() == list(FASHION)
    w.files.new_run()
    assert view.class_names == () and view.row_labels == []


def test_rows_beyond_the_picture_are_not_labelled_and_points_have_none(qtbot):
    view = SampleView()
    qtbot.addWidget(view)
    view.set_class_names(("a", "b", "c", "d"))
    images = np.zeros((3 * 8, 1, 16, 16), dtype=np.uint8)  # a grid of 3 rows, as for the first 3 classes
    view.add_frame(SampleFrame(5, image=image_grid(images, nrow=8)))
    assert view.visible_row_labels() == ["a", "b", "c"]
    view.add_frame(SampleFrame(6, real=np.zeros((4, 2)), fake=np.ones((4, 2))))
    assert view.visible_row_labels() == []


def test_a_conditional_toy_runs_scatter_gets_no_row_names(make_window, tmp_path):
    """Watched or opened, its saved pictures are scatter plots, and "mode 0 ... mode 7" stood beside them."""
    cfg = tiny_toy_config()
    cfg.model.conditional = "concat"
    trained_run(cfg, tmp_path / "run")
    w = make_window()
    assert w.files.open_run(tmp_path / "run")
    assert w.explorer.state.class_names and w.samples.current_pixels() is not None  # a picture of points
    assert w.samples.visible_row_labels() == []


def quality_record(**extra):
    report = QualityReport(200, 41.5, 0.012, 0.001, 0.6, 0.4, 0.9, 0.7, 1.1, 0.0)
    event = QualityScored(30, {**report.to_record(), **extra}, True)
    (record,) = event.to_records()
    again = event_from_record(record)  # as a run opened from its metrics.jsonl gives it back
    assert isinstance(again, QualityScored)
    return again


def test_the_quality_chart_shows_conditional_scores_and_a_table_per_class(qtbot):
    chart = QualityPlot()
    qtbot.addWidget(chart)
    event = quality_record(
        label_accuracy=0.871,
        real_label_accuracy=0.92,
        intra_fd=55.25,
        class_label_accuracy={"Trouser": 0.98, "Shirt": 0.41},
        class_intra_fd={"Trouser": 30.0, "Shirt": 80.5},
    )
    chart.add(event.step, event.scores, event.best)
    assert "label accuracy 87.1% (real data 92.0%) · mean intra-FD 55.25" in chart.label.text()
    table = chart.class_table
    assert not table.isHidden() and table.rowCount() == 2
    assert [table.verticalHeaderItem(r).text() for r in range(2)] == ["Trouser", "Shirt"]
    assert [table.item(1, c).text() for c in range(2)] == ["41%", "80.5"]


def test_a_conditional_run_on_other_classes_says_why_it_has_no_label_accuracy_and_shows_no_blank_column(qtbot):
    chart = QualityPlot()
    qtbot.addWidget(chart)
    event = quality_record(intra_fd=60.5, class_intra_fd={"cat": 50.0, "dog": 71.0})
    chart.add(event.step, event.scores, event.best)
    assert "mean intra-FD 60.50 · no label accuracy (the shipped classifier knows only" in chart.label.text()
    table = chart.class_table
    assert table.isColumnHidden(0) and not table.isColumnHidden(1)
    assert [table.item(r, 1).text() for r in range(2)] == ["50.0", "71.0"]
    fashion = quality_record(
        label_accuracy=0.8, intra_fd=50.0, class_label_accuracy={"Bag": 0.8}, class_intra_fd={"Bag": 50.0}
    )
    chart.add(fashion.step, fashion.scores, fashion.best)
    assert not table.isColumnHidden(0) and "no label accuracy" not in chart.label.text()


def test_an_unconditional_record_draws_as_before(qtbot):
    chart = QualityPlot()
    qtbot.addWidget(chart)
    event = quality_record()
    chart.add(event.step, event.scores, event.best)
    assert "label accuracy" not in chart.label.text() and "FD 41.50" in chart.label.text()
    assert chart.class_table.isHidden()
