"""A feature-matching run opens on the log loss axis: its G loss falls from the thousands over decades and
would flatten every other loss on a linear one. The choice stays the user's after that."""

from ganstudio.core.config import preset
from tests.conftest import tiny_image_config


def matching_config():
    config = tiny_image_config()
    config.loss.feature_matching = True
    return config


def test_turning_feature_matching_on_or_off_ticks_or_unticks_the_log_loss_axis_once(make_window):
    w = make_window(tiny_image_config())
    assert not w.plots.log_losses.isChecked()
    w.form.set_config(matching_config())
    assert w.plots.log_losses.isChecked()
    w.plots.log_losses.setChecked(False)  # the user prefers the linear axis
    w.form.set_config(matching_config())  # any later edit of the same run's setup
    assert not w.plots.log_losses.isChecked()
    w.form.set_config(tiny_image_config())
    assert not w.plots.log_losses.isChecked()  # an axis ticked by hand is not unticked either
    w.form.set_config(preset("fashion-semi-100"))
    assert w.plots.log_losses.isChecked()
    w.form.set_config(tiny_image_config())  # a run opened after a semi-supervised one kept its log axis
    assert not w.plots.log_losses.isChecked()
    w.plots.log_losses.setChecked(True)  # ticked by hand on a run without feature matching
    w.form.widget("train.steps").setValue(77)
    assert w.plots.log_losses.isChecked()


def test_a_window_restoring_a_feature_matching_setup_starts_on_the_log_axis(make_window, app_settings):
    app_settings.set_last_config(matching_config())
    assert make_window(restored=True).plots.log_losses.isChecked()


def test_the_log_loss_axis_labels_1_2_and_5_of_each_decade(make_window):
    """pyqtgraph labelled all nine ticks of a decade, drawn on top of each other on a short plot."""
    w = make_window(matching_config())
    axis = w.plots.loss_plot.getAxis("left")
    assert w.plots.log_losses.isChecked() and axis.logMode
    shown = []
    for spacing, values in axis.tickValues(-1.0, 1.0, 200):
        shown += [text for text in axis.tickStrings(values, axis.scale, spacing) if text]
    assert {"1", "2", "5"} <= set(shown) and {"9", "0.9", "8", "0.8", "3", "0.3"}.isdisjoint(shown)
