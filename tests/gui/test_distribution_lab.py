import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.conftest import tiny_toy_config


def test_2d_view_updates_during_a_toy_run(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=40, metrics_every=20))
    assert w.tabs.isTabVisible(w.tabs.indexOf(w.distribution))
    frames, modes = [], []
    w.controller.distribution_ready.connect(frames.append)
    w.controller.modes_ready.connect(lambda step, m: modes.append((step, m)))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    assert len(frames) >= 2
    frame = w.distribution.frame
    assert frame.dim == 2 and frame.d_map.shape == (80, 80)
    assert np.all((frame.d_map >= 0) & (frame.d_map <= 1))
    assert frame.arrow_from.shape == frame.arrow_vec.shape and np.isfinite(frame.arrow_vec).all()
    assert frame.manifold.shape == (15, 15, 2)
    xs, _ys = w.distribution.fake_item.getData()
    assert len(xs) > 0
    assert [s for s, _ in modes] == [20, 40]
    assert w.distribution.modes_curve.getData()[0].tolist() == [20, 40]
    w.distribution.layer_checks["heatmap"].setChecked(False)
    assert not w.distribution.heatmap.isVisible()
    w.tabs.setCurrentWidget(w.distribution)
    box = w.distribution.box
    qtbot.waitUntil(lambda: box.width() > 0)
    per_pixel_x, per_pixel_y = box.viewPixelSize()
    assert box.state["aspectLocked"] and per_pixel_x == pytest.approx(per_pixel_y, rel=1e-3)  # ring-8 stays round


def test_1d_view_draws_densities_d_and_the_z_line(qtbot, make_window):
    w = make_window(tiny_toy_config(dataset="gaussian-1d", steps=10))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    frame = w.distribution.frame
    assert frame.dim == 1 and len(frame.xs) == len(frame.d_curve)
    x, _y = w.distribution.d_curve.getData()
    assert len(x) == len(frame.xs)
    zx, zy = w.distribution.z_lines.getData()
    assert len(zx) == 2 * len(frame.z_values) and set(np.round(zy, 2)) == {-0.35, -0.05}
    assert not w.distribution.box.state["aspectLocked"]  # y is density and D(x), not a length


def test_1d_data_density_is_the_gaussian_formula_not_a_histogram(qtbot, make_window):
    w = make_window(tiny_toy_config(dataset="gaussian-1d", steps=4))
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    frame = w.distribution.frame
    x, y = w.distribution.real_density.getData()
    assert np.array_equal(x, frame.xs)  # one point per x of the frame, not per histogram bin
    pdf = np.exp(-((x - 2.0) ** 2) / (2 * 0.5**2)) / (0.5 * np.sqrt(2 * np.pi))  # N(2, 0.5^2)
    scale = y[np.argmax(pdf)] / pdf.max()  # drawn on the G density's scale; the shape is the formula's
    for i in (0, len(x) // 4, np.argmin(np.abs(x - 1.5)), np.argmin(np.abs(x - 2.3)), len(x) - 1):
        assert y[i] == pytest.approx(scale * pdf[i], rel=1e-6, abs=1e-12)
    peak = int(np.argmax(y))
    assert np.all(np.diff(y[: peak + 1]) >= 0) and np.all(np.diff(y[peak:]) <= 0)  # smooth: one hump, no jags
    assert abs(x[peak] - 2.0) <= x[1] - x[0]


def test_step_d_only_changes_d_not_g(qtbot, make_window):
    w = make_window(tiny_toy_config(steps=100000))
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.start()
    with qtbot.waitSignal(w.controller.state_changed, timeout=10000, check_params_cb=lambda s: s == "paused"):
        w.toggle_pause()
    assert w.distribution.step_d_button.isEnabled()
    with qtbot.waitSignal(w.controller.distribution_ready, timeout=10000) as before:
        w.distribution.step_both_button.click()
    with qtbot.waitSignal(w.controller.distribution_ready, timeout=10000) as after_d:
        qtbot.mouseClick(w.distribution.step_d_button, Qt.MouseButton.LeftButton)
    a, b = before.args[0], after_d.args[0]
    assert np.array_equal(a.fake, b.fake)  # G untouched
    assert not np.array_equal(a.d_map, b.d_map)  # D moved
    with qtbot.waitSignal(w.controller.distribution_ready, timeout=10000) as after_g:
        w.distribution.step_g_button.click()
    assert not np.array_equal(b.fake, after_g.args[0].fake)
    w.stop()


def test_a_drawn_distribution_becomes_a_dataset_that_trains(qtbot, make_window):
    from ganstudio.core.run_data import DRAWN_COPY

    cfg = tiny_toy_config(steps=30)
    w = make_window(cfg)
    view = w.distribution
    view.draw_check.setChecked(True)
    for x, y in [(-1.0, 0.0), (-0.9, 0.1), (1.0, 1.0), (1.1, 0.9)]:
        view.add_stroke(x, y)
    points = view.drawn_points()
    assert points.shape == (48, 2)
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        view.train_drawn_button.click()
    assert done.args == ["done"]
    (drawing,) = (Path(w.settings.runs_dir) / "drawings").glob("drawn-*.npy")  # not loose among the runs
    assert np.allclose(np.load(drawing), points.astype(np.float32))
    cfg = w.form.config()  # the finished run's, which trained on its own copy of the drawing
    assert cfg.data.dataset == "drawn" and cfg.data.path == str(Path(w.run_dir) / DRAWN_COPY)
    real = w.distribution.frame.real
    assert real.min() > points.min() - 0.1 and real.max() < points.max() + 0.1


def test_a_drawn_run_trains_on_its_own_copy_and_continues_after_stop(qtbot, make_window):
    from pathlib import Path

    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.run_data import DRAWN_COPY

    w = make_window(tiny_toy_config(steps=100000))
    w.distribution.draw_check.setChecked(True)
    for x, y in [(-1.0, 0.0), (1.0, 1.0)]:
        w.distribution.add_stroke(x, y)
    with qtbot.waitSignal(w.controller.stats_ready, timeout=30000):
        w.distribution.train_drawn_button.click()
    drawing = w.form.config().data.path
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.stop()
    run = Path(w.run_dir)
    assert json.loads((run / "config.json").read_text())["data"]["path"] == DRAWN_COPY
    np.testing.assert_array_equal(np.load(run / DRAWN_COPY), np.load(drawing))
    assert w.form.config().data.path == str(run / DRAWN_COPY)
    Path(drawing).unlink()
    stopped_at = load_checkpoint(run / "checkpoints" / "latest.pt")["step"]
    w.form.widget("train.steps").setValue(stopped_at + 10)
    assert w.controls.start_button.text() == "Continue"
    with qtbot.waitSignal(w.controller.finished, timeout=30000) as done:
        w.start()
    assert done.args == ["done"], w.errors.dialog and w.errors.dialog.detailedText()
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == stopped_at + 10


def test_the_manifold_breaks_between_latent_pieces(qtbot, make_window):
    """Drawn as one polyline G's image would show lines through the gaps its pieces leave empty."""
    from ganstudio.gui.widgets.distribution_view import grid_lines

    cfg = tiny_toy_config(steps=6, metrics_every=6)
    cfg.model.latent_components = 4
    w = make_window(cfg)
    with qtbot.waitSignal(w.controller.finished, timeout=30000):
        w.start()
    frame = w.distribution.frame
    pieces = frame.manifold_pieces
    assert pieces.shape == (15, 15) and set(np.unique(pieces)) == {0, 1, 2, 3}
    points, joins = grid_lines(frame.manifold, pieces)
    rows = joins[:225].reshape(15, 15)
    assert rows[:, :-1].sum() == (pieces[:, :-1] == pieces[:, 1:]).sum() < 14 * 15
    assert not rows[:, -1].any()
    assert joins[225:].reshape(15, 15)[:, :-1].all()  # down a column z0, so the piece, stays the same
    assert np.allclose(w.distribution.manifold.getData()[0], points[:, 0])

    grid = np.arange(18, dtype=float).reshape(3, 3, 2)
    grid[1, 1] = np.nan
    _, plain = grid_lines(grid, None)
    assert plain.reshape(2, 3, 3)[:, :, :-1].tolist() == [[[True, True], [False, False], [True, True]]] * 2


def test_a_lone_mode_measure_is_drawn_on_the_steps_from_zero(qtbot):
    """A run measured once showed an empty chart on an axis of 249.6 to 250.4: a line through one point
    draws nothing."""
    from ganstudio.core.mode_metrics import ModeMetrics
    from ganstudio.gui.widgets.distribution_view import DistributionView

    view = DistributionView()
    qtbot.addWidget(view)
    view.show()
    view.add_modes(250, ModeMetrics(6, 8, 0.9, 0.2))
    qtbot.wait(100)  # auto-range, were it on, would have moved the view by now
    low, high = view.modes_plot.getPlotItem().viewRange()[0]
    assert low <= 0 and 250 <= high < 320
    for curve in (view.modes_curve, view.hq_curve, view.js_curve):
        assert curve.scatter.points().size == 1  # the point itself is drawn
    view.add_modes(500, ModeMetrics(8, 8, 0.95, 0.1))
    qtbot.waitUntil(lambda: 200 < view.modes_plot.getPlotItem().viewRange()[0][0] < 250)


def test_1d_samples_have_no_y_axis_and_2d_samples_have_one(qtbot):
    """1D samples sit on two rows (real below, generated above), and a y axis of -2 to 2 said nothing."""
    from ganstudio.core.events import SampleFrame
    from ganstudio.gui.widgets.sample_view import SampleView

    view = SampleView()
    qtbot.addWidget(view)
    axes = view.view.getPlotItem()
    view.add_frame(SampleFrame(5, real=np.zeros((4, 1)), fake=np.ones((4, 1))))
    assert axes.getAxis("bottom").isVisibleTo(axes) and not axes.getAxis("left").isVisibleTo(axes)
    view.add_frame(SampleFrame(6, real=np.zeros((4, 2)), fake=np.ones((4, 2))))
    assert axes.getAxis("bottom").isVisibleTo(axes) and axes.getAxis("left").isVisibleTo(axes)
    view.add_frame(SampleFrame(7, image=np.zeros((8, 8), dtype=np.uint8)))
    assert not axes.getAxis("bottom").isVisibleTo(axes) and not axes.getAxis("left").isVisibleTo(axes)


def test_the_mode_charts_key_is_in_its_title_not_over_its_newest_points(qtbot):
    """A legend box in the top right corner covered the curves where they end, near 1.0."""
    from ganstudio.gui.widgets.distribution_view import DistributionView

    view = DistributionView()
    qtbot.addWidget(view)
    item = view.modes_plot.getPlotItem()
    assert item.legend is None
    title = item.titleLabel.text
    for name in ("modes captured / total", "high-quality fraction", "JS divergence / ln 2"):
        assert name in title


@pytest.mark.parametrize("how", ["open", "watch"])
def test_a_long_toy_runs_modes_are_drawn_once_when_opened_or_watched(qtbot, make_window, tmp_path, how):
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.stats import StepStats
    from tests.gui.conftest import draws_with_points

    run = RunDirectory.create(tmp_path, "ring")
    run.write_config(tiny_toy_config(steps=100000))
    for i in range(1, 101):
        run.append_event(StepStats(100 * i, 1.0, 1.2, 0.6, 0.4, 1.0, 1.0, 0.01).to_record())
        run.append_event(
            {"step": 100 * i, "event": "modes", "modes": i % 9, "modes_total": 8, "high_quality": 0.5, "js": 0.1}
        )
    w = make_window()
    curve = w.distribution.modes_curve
    drawn = draws_with_points(curve)
    if how == "open":
        assert w.files.open_run(run.path)
    else:
        assert w.files.watch_run(run.path)
        qtbot.waitUntil(lambda: len(w.distribution.modes) == 100, timeout=10000)
        w.watch.leave()
    assert curve.getData()[0].tolist() == [100 * i for i in range(1, 101)]
    assert len(drawn) == 1
    assert w.distribution.modes_label.text().startswith("step 10,000: 1/8 modes")


def test_an_opened_toy_run_shows_its_last_picture_of_g_and_d(make_window, tmp_path):
    """The Distribution tab stayed empty for an opened run until it trained again, though its folder holds the
    picture."""
    from ganstudio.cli import main

    (tmp_path / "ring.json").write_text(tiny_toy_config(steps=10).to_json())
    assert main(["train", "--config", str(tmp_path / "ring.json"), "--out", str(tmp_path / "ring")]) == 0
    assert (tmp_path / "ring" / "distribution.npz").is_file()
    w = make_window()
    assert w.distribution.frame is None
    assert w.files.open_run(tmp_path / "ring")
    assert w.distribution.frame is not None and w.distribution.frame.step == 10
