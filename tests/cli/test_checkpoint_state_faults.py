"""A run folder's checkpoint with a planted fault in what the weights' checks did not cover (optimizer
moments, the EMA copy, the fixed noise, the saved optimizer settings): `train --resume` refuses it in one
line and leaves the folder as it was, or trains with the config's settings, never the file's."""

import json
import os
import subprocess
import sys

import pytest
import torch

from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint
from tests.cli.test_cli_guards import status_of
from tests.cli.test_semi_cli import ROOT
from tests.conftest import one_error_line


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A ring-8 run with an EMA generator, 4 steps, as `ganstudio train` leaves it."""
    run = tmp_path_factory.mktemp("faults") / "run"
    command = ["train", "--preset", "ring-8", "--steps", "4", "--set", "train.ema_decay=0.9", "--out", str(run)]
    assert status_of(command) == 0
    return run


def planted(trained, tmp_path, plant) -> tuple:
    """A copy of the trained run whose latest.pt has had `plant(state)` done to it, and its files' bytes."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    latest = run / "checkpoints" / "latest.pt"
    state = load_checkpoint(latest)
    plant(state)
    save_checkpoint(state, latest)
    return run, files_of(run)


def files_of(run):
    return {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}


def _moment(name, value, optimizer="opt_g"):
    def plant(state):
        moments = state[optimizer]["state"][0]
        moments[name] = value(moments[name])

    return plant


FAULTS = {
    "nan second moment": (
        _moment("exp_avg_sq", lambda t: torch.full_like(t, float("nan")), "opt_d"),
        "holds exp_avg_sq of parameter 0, which is not all finite",
    ),
    "negative second moment": (_moment("exp_avg_sq", lambda t: -torch.ones_like(t)), "has negative numbers"),
    "negative step count": (_moment("step", lambda t: torch.tensor(-3.0)), "step of parameter 0, which has negative"),
    "moment of another dtype": (_moment("exp_avg", lambda t: t.double()), "torch.float64 tensor"),
    "parameters of another count": (
        lambda s: s["opt_g"]["param_groups"][0]["params"].pop(),
        "generator optimizer state does not fit",
    ),
    "parameter ids that are not numbers": (
        lambda s: s["opt_d"]["param_groups"][0]["params"].__setitem__(0, "x"),
        "discriminator optimizer state does not fit",
    ),
    "nan ema generator": (
        lambda s: s["generator_ema"][next(iter(s["generator_ema"]))].fill_(float("nan")),
        "weights are not all finite",
    ),
    "nan fixed noise": (lambda s: s["fixed_noise"].fill_(float("nan")), "fixed noise is not all finite"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_in_the_checkpoints_training_state_is_one_line_and_changes_nothing(trained, tmp_path, capsys, fault):
    plant, said = FAULTS[fault]
    run, before = planted(trained, tmp_path, plant)
    capsys.readouterr()
    assert status_of(["train", "--resume", str(run), "--steps", "8"]) == 2
    assert said in one_error_line(capsys)
    assert files_of(run) == before


def test_a_moment_of_the_wrong_shape_is_refused_not_read_out_of_bounds(trained, tmp_path):
    """The fused Adam kernel read past a (3, 3) moment and the process died with a segfault, having
    rewritten config.json: in a child process, so a regression fails this test, not the whole run."""
    run, before = planted(trained, tmp_path, _moment("exp_avg", lambda t: torch.zeros(3, 3)))
    done = subprocess.run(
        [sys.executable, "-m", "ganstudio", "train", "--resume", str(run), "--steps", "8"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ganstudio: error: the checkpoint's generator optimizer state holds exp_avg of parameter 0,")
    assert "shape [3, 3]" in line
    assert files_of(run) == before


def test_the_optimizer_settings_come_from_the_config_not_the_checkpoint(trained, tmp_path, capsys):
    """A checkpoint's eps of -1 trained on silently, its weight decay "abc" crashed in the fused kernel:
    the config decides them (they may not change on resume), so a planted group trains as an untouched one."""

    def plant(state):
        group = state["opt_g"]["param_groups"][0]
        group["eps"], group["weight_decay"], group["betas"] = -1.0, "abc", (5.0, -1.0)

    untouched, _ = planted(trained, tmp_path / "a", lambda state: None)
    run, _ = planted(trained, tmp_path / "b", plant)
    for folder in (untouched, run):
        assert status_of(["train", "--resume", str(folder), "--steps", "8"]) == 0

    def losses(folder):
        return [(r["loss_d"], r["loss_g"]) for r in map(json.loads, (folder / "metrics.jsonl").open()) if "loss_d" in r]

    assert losses(run) == losses(untouched) and len(losses(run)) == 8
