"""The window opens a run whose metrics.jsonl holds a tampered class score: the record is skipped."""

import pytest

from tests.core.test_class_score_records import TAMPERED, write_run


@pytest.mark.parametrize("tampered", [TAMPERED[0], TAMPERED[4]])
def test_the_window_opens_a_run_with_a_tampered_class_score(make_window, tmp_path, tampered):
    run = write_run(tmp_path, tampered)
    w = make_window()
    assert w.files.open_run(run.path)
    assert w.run_dir == str(run.path)
    assert "label accuracy 80.0%" in w.plots.quality.label.text()  # the good record at step 10 is shown
