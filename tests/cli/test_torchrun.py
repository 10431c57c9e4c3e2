"""A run on 2 CPU processes started by torchrun (and by `train --nproc`): real processes, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.control import append_command, read_heartbeat
from ganstudio.core.runlog import RunDirectory
from tests.conftest import exited_within, tiny_toy_config, wait_for_subprocess

ENV = {**os.environ, "GANSTUDIO_DIST_TIMEOUT_S": "90"}


def torchrun(
    tmp_path: Path, *extra: str, steps: int = 1_000_000, checkpoint_every: int = 200
) -> tuple[subprocess.Popen, Path]:
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=steps, log_every=5, checkpoint_every=checkpoint_every).to_json())
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node=2",
            *extra,
            "-m",
            "ganstudio",
            "train",
            "--config",
            str(config),
            "--out",
            str(run),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    return proc, run


def running_at(run: Path, step: int):
    def ready() -> bool:
        beat = read_heartbeat(run)
        return beat is not None and beat.state == "running" and beat.step >= step

    return ready


def records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def logged_steps(run: Path) -> list[int]:
    return [r["step"] for r in records(run) if "event" not in r]


def test_commands_in_the_control_file_reach_both_ranks_at_the_same_step(tmp_path):
    """A change, a rewind and a save are carried out on rank 0 and announced to rank 1 before the next
    step; were one applied at another step (or not at all), the weights would differ and the save's
    hash check would fail the run."""
    proc, run = torchrun(tmp_path)
    wait_for_subprocess(proc, running_at(run, 5), "two ranks training")
    append_command(run, "pause")  # however fast the machine, the last good snapshot is then older than the change
    wait_for_subprocess(proc, lambda: read_heartbeat(run).state == "paused", "the pause")
    append_command(run, "change", {"lr_d": 5e-4})
    wait_for_subprocess(proc, lambda: any(r.get("event") == "change" for r in records(run)), "the change")
    append_command(run, "save")
    append_command(run, "rewind")
    wait_for_subprocess(proc, lambda: any(r.get("event") == "rewind" for r in records(run)), "the rewind")
    append_command(run, "save")
    append_command(run, "stop")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out  # a deliberate stop: torchrun must not take it for a failure to restart
    assert read_heartbeat(run).state == "stopped"
    state = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert state["world_size"] == 2 and len(state["rank_rng"]) == 2
    assert not state["rank_rng"][0].equal(state["rank_rng"][1])  # each rank its own noise
    assert state["config"]["optim"]["lr_d"] != 5e-4  # the rewind went back to before the change, on both ranks
    steps = logged_steps(run)
    assert steps == sorted(set(steps)), "one writer: every step logged once, in order"
    assert {p.name for p in run.iterdir()} <= {
        "config.json",
        "metrics.jsonl",
        "heartbeat.json",
        "control.jsonl",
        "live.png",
        "distribution.npz",
        "snapshot.pt",
        "samples",
        "checkpoints",
        "lock.json",
    }


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def test_a_killed_rank_ends_the_group_and_torchrun_resumes_from_the_last_checkpoint(tmp_path):
    proc, run = torchrun(tmp_path, "--max-restarts=1", steps=400, checkpoint_every=50)
    wait_for_subprocess(proc, (run / "checkpoints" / "latest.pt").exists, "the first checkpoint")
    leader = read_heartbeat(run).pid
    follower = next(pid for pid in _children(proc.pid) if pid != leader)
    os.kill(follower, signal.SIGKILL)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    beat = read_heartbeat(run)
    assert beat.state == "done" and beat.step == 400 and beat.pid != leader  # a new rank 0 finished it
    assert logged_steps(run) == list(range(1, 401))  # resumed from the checkpoint: nothing lost, nothing twice
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 400


def test_nproc_starts_torchrun_and_sigterm_saves_one_checkpoint(tmp_path, capsys):
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=1_000_000, log_every=5, checkpoint_every=100_000).to_json())
    run = tmp_path / "run"
    temp = tmp_path / "temp"  # the processes' temporary folder: torchrun's per-run log folders went there
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--nproc", "2", "--config", str(config), "--out", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**ENV, "TMPDIR": str(temp)},
    )
    wait_for_subprocess(proc, running_at(run, 5), "two ranks training")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out  # as one process would end: stopped, checkpoint saved
    assert f"continue with: ganstudio train --resume {run} --nproc 2" in out  # it left out --nproc 2
    assert "CPU (1 thread) x 2 processes, a batch of 16 each" in out  # it said "device: CPU (1 thread)" alone
    assert not list(temp.glob("torchelastic_*"))  # torchrun's per-run log folders are not left behind
    state = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert state["world_size"] == 2 and state["step"] == read_heartbeat(run).step
    # as a run the window launched: its Continue launches two again (it said 1, and went on in one process)
    assert RunDirectory(run).read_config().perf.processes == 2 == state["config"]["perf"]["processes"]
    assert main(["train", "--resume", str(run), "--steps", str(state["step"] + 3), "--nproc", "1"]) == 0
    err = capsys.readouterr().err
    assert "resuming on 1 process a run saved on 2" in err and "data order and noise differ" in err
    assert RunDirectory(run).read_config().perf.processes == 1


def test_nproc_image_run_scores_quality_on_rank_0_and_finishes(tmp_path):
    """torchmetrics gathers its state from every rank at compute() once a process group exists; only rank 0
    scores, so the group waited for ever at the first quality check and no checkpoint was written."""
    run = tmp_path / "run"
    settings = ["train.steps=20", "quality.every=10", "quality.samples=50", "data.limit=500"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--nproc", "2", "--preset", "fashion-fast", "--out", str(run)]
        + [arg for setting in settings for arg in ("--set", setting)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**ENV, "GANSTUDIO_DIST_TIMEOUT_S": "30"},
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # torchrun and its ranks too
        proc.communicate()
        raise
    assert proc.returncode == 0, out
    assert [r["step"] for r in records(run) if r.get("event") == "quality"] == [10, 20]
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 20


def nproc_train(
    tmp_path: Path, checkpoint_every: int, stderr: int, stdout: Any = subprocess.DEVNULL
) -> tuple[subprocess.Popen, Path]:
    """`ganstudio train --nproc 2` of an endless toy run, its stdout dropped unless given."""
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=1_000_000, log_every=5, checkpoint_every=checkpoint_every).to_json())
    run = tmp_path / "run"
    argv = [sys.executable, "-m", "ganstudio", "train", "--nproc", "2", "--config", str(config), "--out", str(run)]
    return subprocess.Popen(argv, stdout=stdout, stderr=stderr, text=True, env=ENV), run


def test_a_killed_launcher_stops_its_ranks_with_a_checkpoint(tmp_path):
    """`train --nproc` killed outright could pass no signal on: torchrun and its ranks trained on detached,
    holding the folder's lock. Rank 0 watches the launcher and stops the run, saving, once it is gone."""
    with open(tmp_path / "out.txt", "w") as out:  # the ranks print on, to the launcher's stdout they inherited
        proc, run = nproc_train(tmp_path, checkpoint_every=1_000_000, stderr=subprocess.DEVNULL, stdout=out)
    wait_for_subprocess(proc, running_at(run, 5), "two ranks training")
    torchrun_pid = _children(proc.pid)[0]
    proc.kill()
    proc.wait(timeout=10)
    if not exited_within(torchrun_pid, 100):
        os.killpg(torchrun_pid, signal.SIGKILL)  # torchrun and its ranks (the launcher gave them a session)
        raise AssertionError("the ranks trained on without their launcher")
    said = (tmp_path / "out.txt").read_text()  # it said "stopped from a watching window", which none was
    assert f"stopped: the `ganstudio train --nproc` that launched it (pid {proc.pid}) ended at step" in said
    assert read_heartbeat(run).state == "stopped"
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == read_heartbeat(run).step
    assert not (run / "lock.json").exists()


def test_a_killed_rank_is_said_in_one_line_with_how_to_continue(tmp_path):
    proc, run = nproc_train(tmp_path, checkpoint_every=50, stderr=subprocess.PIPE)
    wait_for_subprocess(proc, (run / "checkpoints" / "latest.pt").exists, "the first checkpoint")
    torchrun_pid = _children(proc.pid)[0]
    leader = read_heartbeat(run).pid
    follower = next(pid for pid in _children(torchrun_pid) if pid != leader)
    os.kill(follower, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    (line,) = [line for line in err.splitlines() if line.startswith("ganstudio: error:")]
    assert line.startswith(f"ganstudio: error: rank 1 of 2 (pid {follower}) was killed by SIGKILL (kill -9, "), err
    assert "another process of this run ended or stopped answering" in line and f"--resume {run}" in line
    assert "internal error" not in err and "Traceback" not in err


def test_a_rank_killed_before_the_first_checkpoint_says_how_to_start_over_in_the_library_s_first_sentence(tmp_path):
    """It said the last checkpoint was kept, where there was none, and quoted gloo's C++ source path and its
    advice to its own developers ("GLHF!")."""
    proc, run = nproc_train(tmp_path, checkpoint_every=1_000_000, stderr=subprocess.PIPE)
    wait_for_subprocess(proc, running_at(run, 5), "two ranks training")
    torchrun_pid = _children(proc.pid)[0]
    leader = read_heartbeat(run).pid
    os.kill(next(pid for pid in _children(torchrun_pid) if pid != leader), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    line = err.strip().splitlines()[-1]
    assert line.startswith("ganstudio: error: rank 1 of 2 (pid "), err
    assert ": another process of this run ended or stopped answering (" in line, err
    assert line.endswith(
        f"it had saved no checkpoint yet: train it over with: ganstudio train --resume {run} --restart --nproc 2"
    ), err
    assert "GLHF" not in err and ".cc:" not in err and "Check the logs" not in err
    failed = RunDirectory(run).read_events("failed")
    assert failed and all(r["message"].startswith("another process of this run ended") for r in failed), failed


_LEAVE_WITH_AN_ERROR = """
import os, signal, sys
from ganstudio.cli_train import StopOnInterrupt
try:
    with StopOnInterrupt(abort_on_repeat=sys.argv[1] == "alone"):
        if sys.argv[2] == "raised":
            raise RuntimeError("a peer died")
        # else: the supervisor's Failed event, and the loop ends without an exception
except RuntimeError:
    pass
os.kill(os.getpid(), signal.SIGTERM)  # torchrun's, sent as it sees the same death
print("said why")
sys.exit(2)
"""


def test_a_rank_leaving_with_an_error_says_why_before_torchruns_sigterm_can_end_it():
    """In the suite a killed peer's rank 0 was ended by torchrun's SIGTERM between leaving the training loop
    (on an error, or on the supervisor's report of one) and printing its line; one process alone keeps the
    default (a SIGTERM after its run ends it)."""
    for how in ("raised", "reported"):
        ranked = subprocess.run(
            [sys.executable, "-c", _LEAVE_WITH_AN_ERROR, "rank", how], capture_output=True, text=True, timeout=60
        )
        assert ranked.returncode == 2 and ranked.stdout == "said why\n", (how, ranked)
        alone = subprocess.run(
            [sys.executable, "-c", _LEAVE_WITH_AN_ERROR, "alone", how], capture_output=True, text=True, timeout=60
        )
        assert alone.returncode == -signal.SIGTERM and alone.stdout == "", (how, alone)
