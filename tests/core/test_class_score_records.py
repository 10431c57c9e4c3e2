"""A tampered class score in metrics.jsonl is skipped like any malformed record, never a crash."""

import json

import pytest

from ganstudio.core.events import QualityScored
from ganstudio.core.quality.scores import QualityReport
from ganstudio.core.runlog import RunDirectory, parse_record
from tests.conftest import tiny_conditional_config

GOOD_CLASS_SCORES = {
    "label_accuracy": 0.8,
    "real_label_accuracy": 0.9,
    "intra_fd": 40.0,
    "class_label_accuracy": {"Trouser": 0.9},
    "class_intra_fd": {"Trouser": 30.0},
}
TAMPERED = [
    {"label_accuracy": "x"},
    {"label_accuracy": 1.5},
    {"real_label_accuracy": None},
    {"intra_fd": True},
    {"class_intra_fd": [1, 2]},
    {"class_label_accuracy": {"Trouser": "x"}},
    {"class_label_accuracy": {"Trouser": -0.1}},
    {"class_intra_fd": {"Trouser": {"a": 1}}},
]


def quality_line(step: int, **scores: object) -> str:
    report = QualityReport(200, 41.5, 0.012, 0.001, 0.6, 0.4, 0.9, 0.7, 1.1, 0.0)
    (record,) = QualityScored(step, {**report.to_record(), **scores}, True).to_records()
    return json.dumps(record)


def write_run(root, tampered: dict) -> RunDirectory:
    """A run folder whose metrics.jsonl holds a good quality record at step 10 and a tampered one at 20."""
    run = RunDirectory.create(root, "tampered")
    run.write_config(tiny_conditional_config())
    run.metrics_path.write_text(quality_line(10, **GOOD_CLASS_SCORES) + "\n" + quality_line(20, **tampered) + "\n")
    return run


def test_good_class_scores_are_read():
    assert parse_record(quality_line(10, **GOOD_CLASS_SCORES)) is not None


@pytest.mark.parametrize("tampered", TAMPERED)
def test_a_tampered_class_score_is_skipped(tmp_path, tampered):
    assert parse_record(quality_line(20, **tampered)) is None
    history = [e for e in write_run(tmp_path, tampered).history() if isinstance(e, QualityScored)]
    assert [e.step for e in history] == [10]
    assert history[0].class_scores()["label_accuracy"] == 0.8
