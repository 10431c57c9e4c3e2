"""Run events read and write themselves as the metrics.jsonl records run folders already hold."""

import json

from ganstudio.core.events import Alarm, Changed, ModesMeasured, QualityScored, Rewound, StatsBatch
from ganstudio.core.runlog import RunDirectory

OLD_LOG = [  # as GAN Studio wrote them before events existed
    {
        "step": 1,
        "loss_d": 1.3,
        "loss_g": 0.7,
        "d_real": 0.5,
        "d_fake": 0.4,
        "grad_norm_d": 1.0,
        "grad_norm_g": 2.0,
        "seconds": 0.01,
    },
    {
        "step": 2,
        "loss_d": None,
        "loss_g": 0.7,
        "d_real": 0.5,
        "d_fake": 0.4,
        "grad_norm_d": 1.0,
        "grad_norm_g": 2.0,
        "seconds": 0.01,
    },
    {"step": 2, "event": "change", "lr_g": 5e-05, "k": 2},
    {"step": 2, "event": "alarm", "kind": "nan", "message": "Loss or gradient became NaN/Inf at step 2."},
    {"step": 1, "event": "rewind"},
    {"step": 2, "event": "modes", "modes": 7, "modes_total": 8, "high_quality": 0.9, "js": 0.1},
    {
        "step": 2,
        "event": "quality",
        "best": True,
        "samples": 50,
        "frechet": 3.5,
        "kid": 0.1,
        "kid_std": 0.01,
        "precision": 0.5,
        "recall": 0.4,
        "density": 0.9,
        "coverage": 0.8,
        "memorisation_ratio": 1.1,
        "memorised_fraction": 0.0,
    },
    {"step": 3, "event": "from-a-later-version", "x": 1},
    {
        "step": 3,
        "loss_d": 1.2,
        "loss_g": 0.8,
        "d_real": 0.5,
        "d_fake": 0.4,
        "grad_norm_d": 1.0,
        "grad_norm_g": 2.0,
        "seconds": 0.01,
    },
]


def test_an_old_log_reads_as_events_and_writes_back_the_same_records(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in OLD_LOG) + '{"step": 4, "loss')
    history = RunDirectory(tmp_path).history()
    assert [type(e) for e in history] == [StatsBatch, Changed, Alarm, Rewound, ModesMeasured, QualityScored, StatsBatch]
    assert [s.step for s in history[0].stats] == [1, 2]  # consecutive stats lines are one batch
    assert history[2].kind == "nan" and history[4].modes.modes_captured == 7 and history[5].best
    written = [record for event in history for record in event.to_records()]
    assert written == [r for r in OLD_LOG if r.get("event") != "from-a-later-version"]
