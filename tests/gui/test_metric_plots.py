"""The live loss and D-output plots: ranges that follow the data, one paint per redraw, aligned axes."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from ganstudio.core.stats import StepStats
from ganstudio.gui.widgets.metric_plots import MetricPlots


class PaintCounter(QObject):
    painted = Signal()

    def __init__(self, widget):
        super().__init__()
        self.count = 0
        widget.viewport().installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.painted.emit()
        return False


def stats(first, last, loss_scale=1.0, d_low=0.0, d_high=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return [
        StepStats(step, *(loss_scale * rng.uniform(0.1, 1.0, 2)), *rng.uniform(d_low, d_high, 2), 1.0, 1.0, 0.01)
        for step in range(first, last + 1)
    ]


@pytest.fixture
def plots(qtbot):
    widget = MetricPlots()
    qtbot.addWidget(widget)
    widget.resize(640, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_ranges_follow_the_data(plots):
    batch = stats(10, 5000, loss_scale=12.0)
    plots.add_stats(batch)
    plots.flush()
    (x0, x1), (y0, y1) = plots.loss_plot.viewRange()
    assert x0 <= 10 and x1 >= 5000 and x1 - x0 < 1.2 * 4990  # an eighth of headroom, 2 % padding
    losses = [v for s in batch for v in (s.loss_d, s.loss_g)]
    assert y0 <= min(losses) and y1 >= max(losses) and y1 - y0 < 1.1 * (max(losses) - min(losses))
    (p0, p1) = plots.prob_plot.viewRange()[1]
    assert p0 <= 0.0 and p1 >= 1.0 and p1 - p0 < 1.1  # probabilities: the 0..1 frame
    assert plots.prob_plot.viewRange()[0] == pytest.approx([x0, x1], rel=1e-6)


def test_step_axis_stays_put_while_new_steps_fit_and_moves_when_they_reach_its_end(plots):
    plots.add_stats(stats(1, 1000))
    plots.flush()
    first = plots.loss_plot.viewRange()[0]
    assert 1000 < first[1] < 1200
    plots.add_stats(stats(1001, 1100))
    plots.flush()
    assert plots.loss_plot.viewRange()[0] == first  # the axis keeps its ticks (and cached picture)
    plots.add_stats(stats(1101, 1400))
    plots.flush()
    moved = plots.loss_plot.viewRange()[0]
    assert moved[1] > 1400 and moved[0] < 1
    plots.clear()
    plots.add_stats(stats(1, 50))
    plots.flush()
    assert plots.loss_plot.viewRange()[0][1] < 100  # a new run starts from a fresh step range


def test_critic_scores_outside_zero_one_widen_the_d_plot(plots):
    plots.add_stats(stats(1, 200, d_low=-3.0, d_high=5.0))
    plots.flush()
    p0, p1 = plots.prob_plot.viewRange()[1]
    assert p0 < -2.5 and p1 > 4.5


def test_one_paint_per_redraw_and_none_while_idle(plots, qtbot):
    counter = PaintCounter(plots.loss_plot)
    for last in range(100, 1100, 100):  # past the point where there are more steps than pixels
        plots.add_stats(stats(last - 99, last, seed=last))
        counter.count = 0
        plots.flush()
        for _ in range(5):
            QApplication.processEvents()
        assert counter.count == 1, f"{counter.count} paints for one redraw at {last} steps"
    with qtbot.assertNotEmitted(counter.painted, wait=500):
        pass


def test_linked_plots_share_one_left_axis_width(plots):
    plots.add_stats(stats(1, 300, loss_scale=1500.0))  # loss labels like "1400" are wider than "0.8"
    plots.flush()
    QApplication.processEvents()
    plots.flush()  # the width measured at the first paint is applied to every linked plot
    QApplication.processEvents()
    widths = {round(plot.getAxis("left").width()) for plot in (plots.loss_plot, plots.prob_plot)}
    assert len(widths) == 1
    lefts = {
        plot.getViewBox().mapToDevice(plot.getViewBox().boundingRect().topLeft()).x()
        for plot in (plots.loss_plot, plots.prob_plot)
    }
    assert max(lefts) - min(lefts) < 1.0  # the step axes line up pixel for pixel
    assert plots.loss_plot.getAxis("left").textWidth <= plots.loss_plot.getAxis("left").style["tickTextWidth"]


def test_zooming_by_hand_unticks_auto_range_and_ticking_follows_again(plots, qtbot):
    plots.add_stats(stats(1, 500))
    plots.flush()
    viewport = plots.loss_plot.viewport()
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    wheel = QWheelEvent(
        centre,
        viewport.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, wheel)
    assert not plots.auto_range.isChecked()
    zoomed = plots.loss_plot.viewRange()[0]
    assert zoomed[1] - zoomed[0] < 450
    plots.add_stats(stats(501, 2000))
    plots.flush()
    assert plots.loss_plot.viewRange()[0] == pytest.approx(zoomed)
    plots.auto_range.setChecked(True)
    assert plots.loss_plot.viewRange()[0][1] >= 2000


def test_clear_forgets_the_last_runs_label_width(plots):
    plots.add_stats(stats(1, 300, loss_scale=150000.0))
    for _ in range(2):
        plots.flush()
        QApplication.processEvents()
    wide = plots.loss_plot.getAxis("left").width()
    plots.clear()
    plots.add_stats(stats(1, 300))
    for _ in range(2):
        plots.flush()
        QApplication.processEvents()
    assert plots.loss_plot.getAxis("left").width() < wide


def test_series_bounds_skip_non_finite_values_and_reset_on_clear():
    from ganstudio.gui.widgets.series import GrowingSeries

    series = GrowingSeries(("step", "a", "b"), capacity=2)
    assert series.bounds("a") is None
    series.extend([[1, np.nan, 5.0], [2, 3.0, np.inf]])
    series.extend([[3, -2.0, 4.0], [4, np.nan, -np.inf], [5, 7.0, 6.0]])  # grows past the capacity
    assert series.bounds("a") == (-2.0, 7.0)
    assert series.bounds("b") == (4.0, 6.0)
    assert series.bounds("a", "b") == (-2.0, 7.0)
    assert series.bounds("step") == (1.0, 5.0)
    series.clear()
    assert series.bounds("a") is None
    series.extend([[1, 0.5, 0.5]])
    assert series.bounds("a", "b") == (0.5, 0.5)


def test_adaptive_augmentation_p_is_plotted_with_d_outputs_only_when_a_run_reports_it(plots):
    plots.add_stats(stats(1, 20))
    plots.flush()
    assert not plots.showing_p and "augmentation" not in plots.prob_plot.plotItem.titleLabel.text
    plots.add_stats([StepStats(21 + i, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.01, augment_p=0.01 * i) for i in range(10)])
    plots.flush()
    assert plots.showing_p and "p, augmentation" in plots.prob_plot.plotItem.titleLabel.text
    _, y = plots.curves["augment_p"].getData()
    assert y is not None and np.nanmax(y) == pytest.approx(0.09)
    plots.clear()
    assert not plots.showing_p


def test_a_log_loss_axis_shows_a_feature_matching_spike_and_the_small_losses_beside_it(plots):
    batch = stats(1, 400)
    batch[50] = StepStats(51, 0.7, 1.4e6, 0.5, 0.5, 1.0, 1.0, 0.01)  # FM's G loss early in a run
    batch[60] = StepStats(61, -2.0, 0.5, 0.5, 0.5, 1.0, 1.0, 0.01)  # a loss a log axis cannot show
    plots.add_stats(batch)
    plots.flush()
    linear = plots.loss_plot.viewRange()[1]
    assert linear[1] - linear[0] > 1e6  # one spike squashes every other loss into the bottom pixel row
    plots.log_losses.setChecked(True)
    low, high = plots.loss_plot.viewRange()[1]
    assert low < np.log10(0.1) and high > np.log10(1.4e6) and high - low < 8.5  # decades, all in view
    assert plots.equilibrium_line.value() == pytest.approx(np.log10(2 * np.log(2)))
    plots.log_losses.setChecked(False)
    assert plots.loss_plot.viewRange()[1] == pytest.approx(linear)
    assert plots.equilibrium_line.value() == pytest.approx(2 * np.log(2))
    plots.auto_range.setChecked(False)  # as a zoom by hand leaves it: the range is ours to keep, but not
    plots.log_losses.setChecked(True)  # in units the new axis no longer uses
    assert plots.loss_plot.viewRange()[1] == pytest.approx((low, high))


def test_a_log_loss_axis_over_losses_all_below_zero_shows_the_decades_around_equilibrium(plots):
    plots.add_stats([StepStats(step, -5.0 - step, -1.0, 0.3, -0.2, 1.0, 1.0, 0.01) for step in range(1, 200)])
    plots.flush()
    plots.log_losses.setChecked(True)  # a WGAN critic's losses: none can be drawn on a log axis
    low, high = plots.loss_plot.viewRange()[1]
    assert low < np.log10(2 * np.log(2)) < high and high - low < 2.5


def _pixels_near(image, colour, rect) -> int:
    """How many pixels inside rect are within a few levels of colour."""
    target = np.array([colour.red(), colour.green(), colour.blue()])
    found = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            pixel = image.pixelColor(x, y)
            found += np.abs(np.array([pixel.red(), pixel.green(), pixel.blue()]) - target).max() < 40
    return found


def test_the_equilibrium_line_hides_none_of_the_d_loss_curve_that_crosses_it(plots):
    """Its label sat on the line on a white patch, and hid D's loss exactly where it hovers: at 2 ln 2. The
    title row names the dashed lines now, and the curve shows all along them."""
    import pyqtgraph as pg
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor

    from ganstudio.gui.widgets.metric_plots import COLOURS

    rng = np.random.default_rng(3)
    batch = [  # D's loss zig-zags across 2 ln 2, as it does near equilibrium
        StepStats(step, (1.2, 1.6)[step % 2], rng.uniform(0.5, 3.0), 0.5, 0.5, 1.0, 1.0, 0.01) for step in range(1, 600)
    ]
    plots.add_stats(batch)
    plots.flush()
    view = plots.loss_plot
    QApplication.processEvents()
    image = view.viewport().grab().toImage()
    box = view.mapFromScene(view.getViewBox().sceneBoundingRect()).boundingRect()
    line_y = view.mapFromScene(view.getViewBox().mapViewToScene(QPointF(0, 2 * np.log(2)))).y()
    where_the_label_was = QRect(box.left() + 5, line_y - 12, box.width() // 3, 24)
    assert _pixels_near(image, QColor(COLOURS["loss_d"]), where_the_label_was) > 100
    texts = [item for item in view.scene().items() if isinstance(item, pg.TextItem) and item.isVisible()]
    assert not [text for text in texts if text.sceneBoundingRect().intersects(view.getViewBox().sceneBoundingRect())]
    assert "2 ln 2 (equilibrium)" in view.plotItem.titleLabel.text
    assert "D = 1/2" in plots.prob_plot.plotItem.titleLabel.text


def test_quality_points_beside_the_per_class_table_stay_in_view(plots, qtbot):
    """pyqtgraph's x-link lines up screen positions: with a conditional run's table beside it, the narrower
    quality chart stopped short of the losses' last steps and its newest points were out of view."""
    plots.resize(900, 700)
    plots.add_stats(stats(1, 1890))
    record: dict = dict.fromkeys(("frechet", "kid", "precision", "recall", "density", "coverage"), 1.0)
    record |= {"memorisation_ratio": 1.5, "class_label_accuracy": {"T-shirt/top": 0.5, "Trouser": 0.6}}
    record |= {"class_intra_fd": {"T-shirt/top": 36.1, "Trouser": 73.1}}
    plots.quality.add(1000, {**record, "frechet": 55.0}, best=True)
    plots.quality.add(1500, {**record, "frechet": 42.0}, best=True)
    plots.flush()
    qtbot.waitUntil(lambda: plots.quality.class_table.isVisible())
    assert plots.quality.plot.width() < plots.loss_plot.width() - 50
    steps = plots.loss_plot.viewRange()[0]
    assert plots.quality.plot.viewRange()[0] == pytest.approx(steps, rel=1e-6)
    assert steps[0] <= 1 and steps[1] >= 1890


@pytest.mark.parametrize("width", [515, 380])  # the plots' column at 1280x800 and at 1024x640
def test_a_plot_narrower_than_its_title_still_draws_its_newest_steps(plots, qtbot, width):
    """pyqtgraph widened a plot to its title's text: beside a conditional run's table the quality chart was laid
    out 377 px wide in 253, and its only point (the last step) fell under the table."""
    from PySide6.QtCore import QPointF

    plots.resize(width, 700)
    plots.add_stats(stats(1, 200))
    record: dict = dict.fromkeys(("frechet", "kid", "precision", "recall", "density", "coverage"), 1.0)
    record |= {"memorisation_ratio": 1.5, "class_label_accuracy": {"T-shirt/top": 0.5, "Trouser": 0.6}}
    plots.quality.add(200, {**record, "frechet": 99.0}, best=True)
    plots.flush()
    qtbot.waitUntil(lambda: plots.quality.class_table.isVisible())
    QApplication.processEvents()
    for plot, newest in ((plots.quality.plot, QPointF(200, 99.0)), (plots.loss_plot, QPointF(200, 0.5))):
        view = plot.getViewBox()
        assert view.sceneBoundingRect().right() <= plot.viewport().width() + 1, plot.objectName()
        assert view.sceneBoundingRect().contains(view.mapViewToScene(newest)), plot.objectName()


def test_the_equilibrium_lines_follow_the_loss_family(make_window):
    """A hinge run's plots drew "D = 1/2" and "2 ln 2 (D at equilibrium)" across scores that have neither."""
    w = make_window()
    kind = w.form.widget("loss.kind")
    kind.setCurrentIndex(kind.findData("hinge"))
    assert not w.plots.equilibrium_line.isVisible() and not w.plots.half_line.isVisible()
    titles = (w.plots.loss_plot.plotItem.titleLabel, w.plots.prob_plot.plotItem.titleLabel)
    assert "equilibrium" not in titles[0].text and "D = 1/2" not in titles[1].text
    kind.setCurrentIndex(kind.findData("least-squares"))
    assert w.plots.equilibrium_line.isVisible() and w.plots.equilibrium_line.value() == pytest.approx(0.25)
    assert "1/4 (equilibrium)" in titles[0].text and "D = 1/2" in titles[1].text
    kind.setCurrentIndex(kind.findData("non-saturating"))
    assert w.plots.equilibrium_line.value() == pytest.approx(2 * np.log(2)) and w.plots.half_line.isVisible()
    assert "2 ln 2 (equilibrium)" in titles[0].text


def test_a_cleared_plot_forgets_a_diverged_runs_ranges(plots):
    """After a run whose losses reached 1e28 the log axis read "loss (x1e+24)", ticks 10^-24, even after New run."""
    plots.log_losses.setChecked(True)
    plots.add_stats(stats(1, 50, loss_scale=1e28))
    plots.flush()
    assert plots.loss_plot.viewRange()[1][1] > 20  # log10 of the losses
    assert plots.loss_plot.getAxis("left").labelString().find("x1e") == -1
    plots.clear()
    low, high = plots.loss_plot.viewRange()[1]
    assert -1.5 < low < high < 1.5 and plots.loss_plot.viewRange()[0][1] < 2


def test_the_equilibrium_lines_stay_the_shown_runs_while_the_form_plans_the_next(qtbot, make_window):
    """A finished WGAN-GP run's critic scores were drawn under "D = 1/2" and "2 ln 2" as soon as the form's
    Loss was set to minimax for the next run."""
    from tests.conftest import tiny_toy_config

    cfg = tiny_toy_config(steps=10, log_every=1)
    cfg.loss.kind = "hinge"
    w = make_window(cfg)
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    kind = w.form.widget("loss.kind")
    kind.setCurrentIndex(kind.findData("minimax"))
    assert not w.plots.equilibrium_line.isVisible() and not w.plots.half_line.isVisible()
    w.files.new_run()
    assert w.plots.equilibrium_line.isVisible() and w.plots.half_line.isVisible()  # no run shown: the form's


def test_steps_trained_again_leave_the_plots_and_the_best_score_goes_with_them(plots):
    """A run carried on from a checkpoint before the log's end (or rewound) drew its steps a second time, a
    curve running back over the first, and kept a best score from steps it had gone back on."""
    plots.add_stats(stats(1, 40))
    record: dict = dict.fromkeys(("frechet", "kid", "precision", "recall", "density", "coverage"), 1.0)
    record |= {"memorisation_ratio": 1.5}
    plots.quality.add(10, {**record, "frechet": 50.0}, best=True)
    plots.quality.add(30, {**record, "frechet": 20.0}, best=True)
    plots.keep_until(25)
    plots.add_stats(stats(26, 30))
    assert list(plots.series.column("step")) == list(range(1, 31))
    assert list(plots.quality.series.column("step")) == [10] and plots.quality.best == (10, 50.0)
    assert plots.quality.label.text() == "best: FD 50.00 at step 10"


def test_the_per_class_quality_table_of_many_classes_is_read_only_and_sized_to_its_cells(plots, qtbot):
    """Its columns were ResizeToContents, which measures every cell again on each one set (the freeze the
    Classifier tab's tables had at 100 classes), and a double click edited a score."""
    from PySide6.QtWidgets import QTableWidget

    names = [f"class {i}" for i in range(300)]
    record: dict = dict.fromkeys(("frechet", "kid", "precision", "recall", "density", "coverage"), 1.0)
    record |= {"memorisation_ratio": 1.5, "class_label_accuracy": dict.fromkeys(names, 0.5)}
    plots.quality.add(1000, record, best=True)
    table = plots.quality.class_table
    assert table.rowCount() == 300 and table.item(299, 0).text()
    assert table.editTriggers() == QTableWidget.EditTrigger.NoEditTriggers
    widest = max(table.fontMetrics().horizontalAdvance(table.item(r, 0).text()) for r in range(300))
    assert table.columnWidth(0) >= widest  # sized to its cells once the fill ended
