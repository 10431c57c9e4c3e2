"""The Quality chart during a run and from a run folder; the Inception option's availability."""

from pathlib import Path

from PySide6.QtWidgets import QCheckBox

from tests.conftest import tiny_image_config
from tests.gui.conftest import wait_finished


def quality_config():
    cfg = tiny_image_config(steps=10)
    cfg.quality.every, cfg.quality.samples = 5, 60
    return cfg


def test_quality_points_arrive_during_a_run_and_come_back_with_the_run(qtbot, make_window):
    w = make_window(quality_config())
    w.start()
    assert wait_finished(qtbot, w) == "done"
    chart = w.plots.quality
    assert chart.isVisible() and list(chart.series.column("step")) == [5, 10]
    x, y = chart.curve.getData()
    assert list(x) == [5, 10] and (y > 0).all()
    assert chart.best is not None and chart.best[0] in (5, 10)
    assert "precision" in chart.label.text() and f"at step {chart.best[0]}" in chart.label.text()
    assert (Path(w.run_dir) / "checkpoints" / "best.pt").is_file()

    other = make_window()
    assert other.files.open_run(w.run_dir)
    assert list(other.plots.quality.series.column("step")) == [5, 10]
    assert other.plots.quality.best == chart.best
    other.files.new_run()
    assert not other.plots.quality.isVisible()


def test_inception_fid_is_offered_only_with_weights_on_disk(make_window, monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    w = make_window()
    box = w.findChild(QCheckBox, "quality.inception")
    assert not box.isEnabled()
    assert box.toolTip().startswith("Unavailable: Inception v3 weights are not on disk")
    weights = tmp_path / "torch" / "hub" / "checkpoints" / "inception_v3_google-0cc3c7bd.pth"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"stand-in")
    w.form.widget("quality.inception_weights").setText(str(weights))
    assert box.isEnabled() and "slow on a CPU" in box.toolTip()
    box.setChecked(True)
    w.form.widget("quality.inception_weights").setText(str(tmp_path / "missing.pth"))
    assert ("quality.inception", f"no Inception weights file at {tmp_path / 'missing.pth'}") in w.form.problems()
    assert not w.controls.start_button.isEnabled()
