"""Following metrics.jsonl as another process writes it."""

import json

from ganstudio.core.follow import MetricsFollower, remedies_from_record
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.stats import StepStats


def stats(step: int) -> StepStats:
    return StepStats(step, 1.3, 0.7, 0.5, 0.5, 1.0, 1.0, 0.01)


def test_only_new_complete_lines_are_read(tmp_path):
    run = RunDirectory(tmp_path)
    follower = MetricsFollower(run.metrics_path)
    assert follower.records() == (False, [])
    run.append_metrics([stats(1), stats(2)])
    restarted, records = follower.records()
    assert not restarted and [r["step"] for r in records] == [1, 2]
    assert follower.records() == (False, [])
    with open(run.metrics_path, "a") as fh:
        fh.write('{"step": 3, "loss_d": 1.0, "loss_g"')
    assert follower.records() == (False, [])
    with open(run.metrics_path, "a") as fh:
        fh.write(': 2.0}\nnot json\n{"step": "x", "event": "modes"}\n')
    assert [r["step"] for r in follower.records()[1]] == [3]


def test_a_rewritten_file_starts_over(tmp_path):
    run = RunDirectory(tmp_path)
    follower = MetricsFollower(run.metrics_path)
    run.append_metrics([stats(s) for s in range(1, 11)])
    follower.records()
    run.truncate_metrics(4)  # what a rewind or a resume does: a new file renamed into place
    restarted, records = follower.records()
    assert restarted and [r["step"] for r in records] == [1, 2, 3, 4]
    run.append_event({"step": 4, "event": "rewind"})
    assert follower.records() == (False, [{"step": 4, "event": "rewind"}])


def test_remedies_written_beside_an_alarm_read_back():
    from ganstudio.core.health import Remedy

    record = {
        "step": 3,
        "event": "remedies",
        "kind": "nan",
        "remedies": [
            {"label": "Rewind", "live": {}, "config": {}, "rewind": True},
            {"label": "Halve", "live": {"lr_g": 1e-4}, "config": {}, "rewind": False},
            {"label": 5},
            "junk",
        ],
    }
    assert remedies_from_record(record) == (Remedy("Rewind", rewind=True), Remedy("Halve", live={"lr_g": 1e-4}))
    assert remedies_from_record({"step": 1, "event": "remedies", "remedies": 7}) == ()


def test_a_remedy_whose_setup_change_health_never_offers_is_left_out():
    """A forged remedies line could point the next run's setup at any dataset or file with one click."""
    from ganstudio.core.health import SPECTRAL_NORM

    record = {
        "step": 3,
        "event": "remedies",
        "kind": "nan",
        "remedies": [
            {"label": "Halve learning rates", "config": {"data.dataset": "cifar10", "data.path": "/elsewhere"}},
            {"label": SPECTRAL_NORM.label, "config": dict(SPECTRAL_NORM.config)},
            {"label": "Spectral norm", "config": {"model.spectral_norm": True, "data.path": "/elsewhere"}},
        ],
    }
    assert remedies_from_record(json.loads(json.dumps(record))) == (SPECTRAL_NORM,)
