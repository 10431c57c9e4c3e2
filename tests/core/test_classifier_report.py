import json

import numpy as np
import pytest

from ganstudio.core.events import ClassifierScored, event_from_record
from ganstudio.core.semi.report import ClassifierReport

NAMES = ("cat", "dog", "bird")


def test_report_counts_a_hand_made_confusion():
    labels = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2])
    report = ClassifierReport.from_predictions(predicted, labels, NAMES, "six images")
    assert report.accuracy == pytest.approx(4 / 6)
    assert report.per_class == {"cat": 0.5, "dog": 1.0, "bird": 0.5}
    assert report.confusion == ((1, 1, 0), (0, 2, 0), (1, 0, 1))
    assert report.class_names == NAMES


def test_a_classifier_event_survives_metrics_jsonl():
    report = ClassifierReport.from_predictions(np.array([2, 1, 1]), np.array([2, 0, 1]), NAMES, "three images")
    (record,) = ClassifierScored(40, report).to_records()
    back = event_from_record(json.loads(json.dumps(record)))
    assert back == ClassifierScored(40, report)


def test_a_record_whose_confusion_does_not_match_its_classes_is_refused():
    record = {"accuracy": 1.0, "per_class": {"a": 1.0, "b": 1.0}, "confusion": [[1]], "split": "x"}
    with pytest.raises(ValueError, match="confusion"):
        ClassifierReport.from_record(record)
