"""Two real processes on one run folder: the second is refused while the first trains, and takes over
once the first was killed."""

import json
import signal
import socket
import subprocess
import sys

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.run_lock import LOCK_NAME
from tests.conftest import tiny_toy_config, wait_for_subprocess


def start_training(tmp_path):
    """`ganstudio train --out RUN` in a subprocess, returned once it has saved a checkpoint."""
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=100_000, log_every=5, checkpoint_every=20).to_json())
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--config", str(config), "--out", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_subprocess(proc, (run / "checkpoints" / "latest.pt").exists, "the first train's checkpoint")
    return proc, run


def logged_steps(run):
    return [
        json.loads(line)["step"]
        for line in (run / "metrics.jsonl").read_text().splitlines()
        if "event" not in json.loads(line)
    ]


def test_a_second_train_of_a_folder_in_training_is_refused_in_one_line(tmp_path):
    first, run = start_training(tmp_path)
    try:
        config = (run / "config.json").read_bytes()
        second = subprocess.run(
            [sys.executable, "-m", "ganstudio", "train", "--resume", str(run)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ganstudio: error: "), second.stderr
        assert f"pid {first.pid} on {socket.gethostname()} since " in lines[0]
        assert (run / "config.json").read_bytes() == config
        assert json.loads((run / LOCK_NAME).read_text())["pid"] == first.pid
        # looking at a run in training needs no lock
        assert main(["sample", str(run / "checkpoints" / "latest.pt"), "--n", "10", "--out", str(tmp_path / "s")]) == 0
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 130
    steps = logged_steps(run)
    assert steps == sorted(set(steps)) and len(steps) >= 4  # no step twice, none out of order
    assert not (run / LOCK_NAME).exists()


def test_a_lock_left_by_kill_9_is_taken_over_by_the_next_resume(tmp_path, capsys):
    first, run = start_training(tmp_path)
    first.kill()
    first.communicate(timeout=120)
    assert json.loads((run / LOCK_NAME).read_text())["pid"] == first.pid  # left behind, naming a dead process
    step = load_checkpoint(run / "checkpoints" / "latest.pt")["step"]
    assert main(["train", "--resume", str(run), "--steps", str(step + 10)]) == 0, capsys.readouterr().err
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == step + 10
    steps = logged_steps(run)
    assert steps == sorted(set(steps))
    assert not (run / LOCK_NAME).exists()
