"""The window at the default 1280x800: the setup panel never scrolls sideways, Apply stays on
screen, Enter applies a live change, and the plots keep their titles and curves readable."""

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QLabel, QLineEdit
from superqt import QCollapsible

from ganstudio.core.config import LIVE_SECTIONS, preset
from ganstudio.core.stats import StepStats
from ganstudio.gui.main_window import MainWindow
from ganstudio.gui.widgets.live_changes import LiveChangesPanel
from ganstudio.gui.widgets.metric_plots import CURVE_NAMES
from tests.gui.conftest import tab_stops

SIZES = [(1280, 800), (1920, 1080)]


def settle(qtbot, window):
    """Lets layouts and scroll bars catch up with a resize or a fold."""
    qtbot.waitUntil(lambda: window.isVisible(), timeout=5000)
    QApplication.processEvents()


@pytest.mark.parametrize("size", SIZES)
def test_the_setup_panel_never_scrolls_sideways(qtbot, make_window, tmp_path, size):
    w = make_window()
    w.resize(*size)
    w.form.set_image_folder(str(tmp_path))  # shows the Folder row with its Browse button
    for fold in w.form.findChildren(QCollapsible):
        fold.expand(animate=False)
    settle(qtbot, w)
    scroll = w.setup_scroll
    bar = scroll.horizontalScrollBar()
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    assert bar.maximum() == 0
    fields = [
        f
        for kind in (QComboBox, QLineEdit, QAbstractSpinBox, QCheckBox)
        for f in w.form.findChildren(kind)
        if f.isVisibleTo(w.form) and f.focusPolicy() != Qt.FocusPolicy.NoFocus
    ]
    assert len(fields) > 40
    for field in fields:
        field.setFocus()
        scroll.ensureWidgetVisible(field)  # what Tab does when focus lands outside the viewport
        QApplication.processEvents()
        assert bar.value() == 0, field.objectName()
        right = field.mapTo(scroll.viewport(), field.rect().topRight()).x()
        assert right < scroll.viewport().width(), f"{field.objectName()} is cut off on the right"


def test_the_wheel_over_a_field_scrolls_the_panel_and_leaves_the_value(qtbot, make_window):
    w = make_window()
    w.resize(1280, 800)
    for fold in w.form.findChildren(QCollapsible):
        fold.expand(animate=False)
    settle(qtbot, w)
    steps, loss = w.form.widget("train.steps"), w.form.widget("loss.kind")
    before = (steps.value(), loss.currentIndex())
    bar = w.setup_scroll.verticalScrollBar()
    assert bar.value() == 0 and bar.maximum() > 0
    for field in (steps, loss):
        centre = QPointF(field.rect().center())
        wheel = QWheelEvent(
            centre,
            QPointF(field.mapToGlobal(field.rect().center())),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(field, wheel)
    assert (steps.value(), loss.currentIndex()) == before
    assert bar.value() > 0
    steps.setFocus()  # a field the user clicked into still takes the wheel
    wheel = QWheelEvent(
        QPointF(steps.rect().center()),
        QPointF(steps.mapToGlobal(steps.rect().center())),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(steps, wheel)
    assert steps.value() == before[0] + steps.singleStep()


def test_a_long_folder_path_in_a_reason_wraps_inside_the_panel(qtbot, make_window, tmp_path):
    w = make_window()
    w.resize(1280, 800)
    settle(qtbot, w)
    width = w.setup_scroll.width()
    missing = tmp_path / ("afoldernamewithnowheretobreakit" * 4) / "deeper"
    w.form.set_image_folder(str(missing))
    error = w.form.findChild(QLabel, "error_data_path")
    qtbot.waitUntil(lambda: error.isVisibleTo(w), timeout=30000)
    QApplication.processEvents()
    assert error.text().replace("\u200b", "") == f"image folder not found: {missing}"
    assert w.setup_scroll.width() == width
    assert w.setup_scroll.horizontalScrollBar().maximum() == 0
    assert error.geometry().right() <= w.setup_scroll.viewport().width()


@pytest.mark.parametrize("size", SIZES)
def test_apply_is_on_screen_with_every_fold_open(qtbot, make_window, size):
    w = make_window()
    w.resize(*size)
    for fold in w.form.findChildren(QCollapsible):
        fold.expand(animate=False)
    settle(qtbot, w)
    apply = w.live.apply_button
    assert apply.isVisible() and not apply.visibleRegion().isEmpty()
    corner = apply.mapTo(w, apply.rect().bottomRight())
    assert w.rect().contains(corner)
    assert apply.visibleRegion().boundingRect() == apply.rect()  # not clipped by a scroll area


@pytest.mark.parametrize("field", [f"live.{section}.{name}" for name, section in LIVE_SECTIONS.items()])
def test_enter_in_any_live_field_applies(qtbot, field):
    panel = LiveChangesPanel()
    qtbot.addWidget(panel)
    panel.load(preset("fashion-dcgan"))
    panel.show()
    widget = panel.findChild(QAbstractSpinBox, field) or panel.findChild(QLineEdit, field)
    editor = widget.lineEdit() if isinstance(widget, QAbstractSpinBox) else widget
    editor.selectAll()
    qtbot.keyClicks(editor, "3")
    with qtbot.waitSignal(panel.changes_requested, timeout=2000) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert list(blocker.args[0].values()) == [3]


QUALITY_RECORD = {
    "frechet": 100.0,
    "kid": 0.01,
    "precision": 0.5,
    "recall": 0.5,
    "density": 0.5,
    "coverage": 0.5,
    "memorisation_ratio": 1.5,
}


@pytest.mark.parametrize("size", SIZES)
def test_plots_with_the_quality_chart_stay_readable(qtbot, make_window, size):
    w = make_window()
    w.resize(*size)
    w.plots.add_stats(stats_rows(1, 200))
    w.plots.quality.add(100, QUALITY_RECORD, True)
    w.plots.quality.add(200, {**QUALITY_RECORD, "frechet": 120.0}, False)
    w.plots.flush()
    settle(qtbot, w)
    assert w.plots.quality.isVisible()
    for plot in w.plots.linked:
        title = plot.plotItem.titleLabel.item
        shown = QRectF(plot.viewport().rect())
        assert shown.contains(title.mapRectToScene(title.boundingRect())), f"{plot.objectName()}'s title is cut"
        box = plot.getViewBox().sceneBoundingRect()
        assert box.height() >= 100, f"{plot.objectName()} is squashed to {box.height():.0f} px"
        legends = [item for item in plot.scene().items() if isinstance(item, pg.LegendItem) and item.isVisible()]
        covering = [legend for legend in legends if legend.sceneBoundingRect().intersects(box)]
        assert not covering, f"a legend covers {plot.objectName()}'s curves"
    for key, name in CURVE_NAMES.items():
        if key == "augment_p":  # named only in runs that report it (test_metric_plots)
            continue
        plot = w.plots.loss_plot if key.startswith("loss") else w.plots.prob_plot
        assert name in plot.plotItem.titleLabel.text  # the legend moved into the title row


def stats_rows(first, last):
    return [StepStats(step, 1.0, 1.2, 0.6, 0.4, 1.0, 1.0, 0.01) for step in range(first, last + 1)]


def test_a_change_marks_label_stays_inside_the_loss_plot(qtbot, make_window):
    w = make_window()
    w.resize(1280, 800)
    w.plots.add_stats(stats_rows(1, 200))
    w.plots.flush()
    w.plots.mark(190, "lr_g=0.0001, lr_d=0.0004")
    settle(qtbot, w)
    label = w.plots.marks[0][1].label
    box = w.plots.loss_plot.getViewBox().sceneBoundingRect()
    assert box.contains(label.mapRectToScene(label.boundingRect())), "the mark's text runs off the plot"


def test_a_deferred_window_paints_placeholders_where_its_views_then_sit(qtbot, app_settings):
    """The app's window paints before pyqtgraph and superqt load; the views it builds after that paint
    take exactly the places of their placeholders (no layout jump), and only then is Start enabled."""
    from PySide6.QtCore import QThreadPool

    window = MainWindow(app_settings, deferred=True)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    assert not window.built and not window.controls.start_button.isEnabled()
    placeholders = {
        name: widget for name, widget in window._placeholders.items() if name not in ("distribution", "classifier")
    }
    with qtbot.waitSignal(window.views_ready, timeout=30000):
        window.show()
        qtbot.waitExposed(window)
        before = {name: widget.geometry() for name, widget in placeholders.items()}
    qtbot.waitUntil(lambda: window.setup_scroll.geometry() == before["setup"])
    after = {
        "setup": window.setup_scroll,
        "plots": window.plots,
        "samples": window.samples,
        "explorer": window.explorer,
    }
    assert {name: widget.geometry() for name, widget in after.items() if name != "explorer"} == {
        name: rect for name, rect in before.items() if name != "explorer"
    }
    assert window.tabs.widget(1) is window.explorer and window.controls.start_button.isEnabled()
    window.close()
    assert QThreadPool.globalInstance().waitForDone(60000)


def test_a_shut_fold_points_sideways_and_an_open_one_down(make_window):
    """superqt's default showed ▲ on a shut fold, as if it were open upwards."""
    w = make_window()
    fold = w.form.findChildren(QCollapsible)[0]

    def shown(symbol: str) -> bool:
        expected = fold._convert_string_to_icon(symbol).pixmap(16).toImage()
        return fold._toggle_btn.icon().pixmap(16).toImage() == expected

    assert not fold.isExpanded() and shown("▶") and not shown("▲")
    fold.expand(animate=False)
    assert shown("▼")


def test_help_lists_every_shortcut_the_window_answers_to(qtbot, make_window):
    """The Help menu had About only: the keys were in README and the tooltips, nowhere in the app."""
    from PySide6.QtWidgets import QMessageBox

    w = make_window()
    w.menu_actions.shortcuts_action.trigger()
    box = w.findChild(QMessageBox, "shortcutsDialog")
    qtbot.waitUntil(box.isVisible)
    for keys, what in [("Ctrl+Return", "Start"), ("Space", "Pause/Resume"), ("Ctrl+T", "Step"), ("Ctrl+K", "Classify")]:
        assert f"<b>{keys}</b>" in box.text() and what in box.text(), keys
    box.close()


def test_tab_passes_a_shut_fold_by_and_walks_an_open_one(qtbot, make_window):
    """superqt squeezed a shut fold to no height and Tab still walked its ~27 fields: a digit typed into an
    unseen Adam beta2 greyed Start with no sign of why."""
    w = make_window()
    w.resize(1280, 800)
    settle(qtbot, w)
    advanced = w.form.findChild(QCollapsible, "advancedOptions")
    beta2 = w.form.widget("optim.beta2")
    stops = tab_stops(w, w.form.preset_combo)
    assert advanced.toggleButton() in stops
    assert not [
        s
        for s in stops
        if any(fold.isAncestorOf(s) and s is not fold.toggleButton() for fold in w.form.findChildren(QCollapsible))
    ]

    advanced.toggleButton().setFocus()
    qtbot.keyClick(advanced.toggleButton(), Qt.Key.Key_Space)  # what a keyboard user presses on the title
    qtbot.waitUntil(lambda: advanced.isExpanded() and beta2.isVisible())
    assert beta2 in tab_stops(w, advanced.toggleButton())
    qtbot.waitUntil(lambda: advanced.content().height() >= advanced.content().sizeHint().height())
    assert beta2.mapTo(advanced, beta2.rect().bottomLeft()).y() < advanced.height()  # not cut off

    qtbot.keyClick(advanced.toggleButton(), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not beta2.isVisible())
    assert beta2 not in tab_stops(w, advanced.toggleButton())


def test_tab_stops_only_where_focus_shows_and_does_something(qtbot, make_window):
    """Tab went through the form's scroll area and each plot, showing no focus: five presses that did
    nothing (trial Q)."""
    from PySide6.QtWidgets import QAbstractScrollArea

    w = make_window()
    w.resize(1280, 800)
    settle(qtbot, w)
    stops = tab_stops(w, w.controls.start_button)
    assert w.form.preset_combo in stops and w.plots.export_csv_button in stops
    assert not [s for s in stops if isinstance(s, (pg.GraphicsView, QAbstractScrollArea))], stops


def test_a_fields_label_shows_its_help_wrapped_as_the_field_does(qtbot, make_window):
    """The help showed over the field only, on one line 1,200 pixels wide; over its label, nothing (trial Q)."""
    import textwrap

    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    w = make_window()
    settle(qtbot, w)

    def hover(widget):
        QToolTip.hideText()
        QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, QPoint(2, 2), widget.mapToGlobal(QPoint(2, 2))))
        qtbot.waitUntil(QToolTip.isVisible)
        return QToolTip.text()

    def label_of(field):
        (label,) = [x for x in w.form.findChildren(QLabel) if x.buddy() is field]
        return label

    optimizer = w.form.widget("optim.name")
    assert label_of(optimizer).text() == "Optimizer" and len(optimizer.toolTip()) > 80
    wrapped = textwrap.fill(optimizer.toolTip(), 80)
    assert "\n" in wrapped and hover(label_of(optimizer)) == wrapped and hover(optimizer) == wrapped
    lr_g = w.form.widget("optim.lr_g")  # a short one is shown as it is
    assert hover(label_of(lr_g)) == lr_g.toolTip() == "Generator learning rate, e.g. 2e-4 with Adam, 0.02 with SGD"
    ema = w.live.widget("ema_decay")  # the Change while running panel shows the same help: wrapped too
    assert len(ema.toolTip()) > 80 and hover(ema) == textwrap.fill(ema.toolTip(), 80)
