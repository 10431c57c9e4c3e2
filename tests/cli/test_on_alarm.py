"""What `ganstudio train` does on a health alarm with nobody watching (--on-alarm)."""

import json

from ganstudio.cli import main
from ganstudio.cli_errors import EXIT_ALARM
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.events import Alarm, Remedy
from ganstudio.core.unattended import MAX_REWINDS, OnAlarm, Unattended
from tests.conftest import tiny_toy_config

DIVERGING = [
    "--set",
    "optim.name=sgd",
    "--set",
    "optim.lr_g=1000",
    "--set",
    "optim.lr_d=1000",
    "--set",
    "optim.momentum=0.9",
    "--set",
    "train.log_every=1",
]  # NaN by step 3


def train(tmp_path, *extra):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(tiny_toy_config(steps=300).to_json())
    return main(["train", "--config", str(cfg), "--out", str(tmp_path / "run"), *DIVERGING, *extra])


def records(tmp_path):
    return [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]


def test_remedy_rewinds_and_halves_the_rates_three_times_then_stops(tmp_path, capsys):
    assert train(tmp_path) == EXIT_ALARM
    out, err = capsys.readouterr()
    assert out.count("rewound to step 1") == MAX_REWINDS + 1  # three remedies, and the last good state to stop at
    assert out.count("alarm at step") == MAX_REWINDS + 1
    assert [line.split("changed ")[1] for line in out.splitlines() if "changed" in line] == [
        "lr_g=500, lr_d=500",
        "lr_g=250, lr_d=250",
        "lr_g=125, lr_d=125",
    ]
    last = err.splitlines()[-1]  # the lines before it are the progress display's
    assert last.startswith("ganstudio: loss became NaN/Inf") and "after 3 rewinds" in last
    assert "checkpoint of step 1 saved to" in last
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")
    assert checkpoint["step"] == 1  # the last good snapshot, not NaN weights
    assert [r.get("event", "stats") for r in records(tmp_path)] == ["stats"] + ["rewind", "change"] * 3 + ["rewind"]
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == checkpoint["config"]


def test_stop_and_ignore_stop_at_the_first_nan(tmp_path, capsys):
    for policy in ("stop", "ignore"):
        folder = tmp_path / policy
        folder.mkdir()
        assert train(folder, "--on-alarm", policy) == EXIT_ALARM
        out, err = capsys.readouterr()
        assert out.count("alarm at step") == 1 and "changed" not in out
        assert "NaN/Inf" in err.splitlines()[-1] and "rewound to step 1 and stopped" in err


def test_a_nan_stop_with_no_snapshot_to_rewind_to_says_the_step_it_saved(tmp_path, capsys):
    """Points drawn at 1e30: the alarm names step 1 (the first non-finite gradient) and comes with the stats of
    step 10, where the run stops and saves; the line said step 1 beside a checkpoint of step 10."""
    import numpy as np

    drawing = tmp_path / "huge.npy"
    np.save(drawing, np.random.default_rng(0).standard_normal((300, 2)) * 1e30)
    run = tmp_path / "run"
    argv = ["train", "--preset", "ring-8", "--set", "data.dataset=drawn", "--set", f"data.path={drawing}"]
    assert main([*argv, "--steps", "20", "--out", str(run)]) == EXIT_ALARM
    last = capsys.readouterr().err.splitlines()[-1]
    step = load_checkpoint(run / "checkpoints" / "latest.pt")["step"]
    assert "at step 1;" in last and "no good snapshot" in last and step > 1
    assert f"checkpoint of step {step:,} saved to" in last


def test_the_papers_1d_game_collapsed_by_sgd_is_said_and_the_preset_is_not(tmp_path, capsys):
    """With SGD at 0.05 G draws one point for good (the Helvetica scenario): no alarm said so. The preset as
    shipped spreads G over the data and raises none."""
    sgd = ["--set", "optim.name=sgd", "--set", "optim.lr_g=0.05", "--set", "optim.lr_d=0.05"]
    out = tmp_path / "sgd"
    assert main(["train", "--preset", "gaussian-1d", "--steps", "1000", *sgd, "--out", str(out)]) == 0
    alarms = [r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if r.get("event") == "alarm"]
    assert {a["kind"] for a in alarms} == {"mode-collapse"} and 500 <= alarms[0]["step"] <= 600
    assert "G's outputs are nearly all one" in alarms[0]["message"] and "alarm at step" in capsys.readouterr().out
    shipped = tmp_path / "shipped"
    assert main(["train", "--preset", "gaussian-1d", "--out", str(shipped)]) == 0
    assert '"alarm"' not in (shipped / "metrics.jsonl").read_text()


def test_other_alarms_stop_the_run_only_under_stop():
    collapse = Alarm("mode-collapse", 900, "collapsed", (Remedy("EMA", live={"ema_decay": 0.99}),))
    assert Unattended(OnAlarm.REMEDY).commands_for(collapse, 800) == []
    assert Unattended(OnAlarm.IGNORE).commands_for(collapse, 800) == []
    stop = Unattended(OnAlarm.STOP)
    assert [c.kind for c in stop.commands_for(collapse, 800)] == ["stop"]
    assert "mode-collapse" in stop.stop_message


def test_a_stop_while_the_weights_are_nan_says_nothing_was_saved(tmp_path, capsys):
    """A stop taken after the weights went NaN but before an alarm said so: the checkpoint is refused, and
    the line used to read "checkpoint saved to " with no path, then offer a --resume with nothing to resume."""
    import torch

    from ganstudio.cli_errors import EXIT_INTERRUPTED
    from ganstudio.cli_train import run_session
    from ganstudio.core.events import Command
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    session = TrainingSession.start(tiny_toy_config(steps=50), RunDirectory.at(tmp_path / "run"))

    class WeightsGoneNanThenStop:
        reason = ""
        polls = 0

        def commands(self):
            self.polls += 1
            if self.polls > 1:
                return []
            with torch.no_grad():
                for weight in session.trainer.G.parameters():
                    weight.fill_(float("nan"))
            return [Command("stop")]

    try:
        assert run_session(session, "remedy", stop_sources=[WeightsGoneNanThenStop()]) == EXIT_INTERRUPTED
    finally:
        session.close()
    out = capsys.readouterr().out
    assert "not saved: the weights are NaN or Inf" in out
    assert out.splitlines()[-1].endswith("no checkpoint was saved before the weights went NaN")
    assert "--resume" not in out and "saved to" not in out
    assert not (tmp_path / "run" / "checkpoints" / "latest.pt").exists()
