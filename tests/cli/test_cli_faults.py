"""The CLI under real faults, in real subprocesses: signals, a full disk, output to a file."""

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from tests.conftest import tiny_toy_config, wait_for_subprocess

FILE_LIMIT = 300_000  # bytes: a toy checkpoint of width 256 is larger, config.json and a few metrics are not


def ganstudio(*args, limit_files: bool = False, **kwargs) -> subprocess.Popen:
    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit then fail with EFBIG, like ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    return subprocess.Popen(
        [sys.executable, "-m", "ganstudio", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=full_disk if limit_files else None,
        **kwargs,
    )


def wide_toy_config(tmp_path, **train):
    cfg = tiny_toy_config(**train)
    cfg.model.width = 256
    path = tmp_path / "cfg.json"
    path.write_text(cfg.to_json())
    return str(path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_save_like_ctrl_c(tmp_path, sig):
    run = tmp_path / "run"
    proc = ganstudio(
        "train", "--config", wide_toy_config(tmp_path, steps=1_000_000, checkpoint_every=100_000), "--out", str(run)
    )
    metrics = run / "metrics.jsonl"
    wait_for_subprocess(
        proc, lambda: metrics.exists() and len(metrics.read_text().splitlines()) >= 3, "the first logged steps"
    )
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert f"stopped by {signal.Signals(sig).name}" in out
    state = load_checkpoint(run / "checkpoints" / "latest.pt")
    logged = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert state["step"] >= 3 and max(logged) == state["step"]  # every step trained is in the checkpoint


def test_a_full_disk_during_train_keeps_the_last_checkpoint(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--config", wide_toy_config(tmp_path, steps=2, checkpoint_every=2), "--out", str(run)]) == 0
    latest = run / "checkpoints" / "latest.pt"
    assert latest.stat().st_size > FILE_LIMIT
    before = hashlib.sha256(latest.read_bytes()).hexdigest()
    proc = ganstudio("train", "--resume", str(run), "--steps", "4", limit_files=True)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganstudio: error: could not save the checkpoint"), err
    assert "could not be written whole" in err and "inline_container" not in err  # words, not torch's C++ source
    assert "the previous one is kept" in err
    assert hashlib.sha256(latest.read_bytes()).hexdigest() == before
    assert not list(run.rglob("*.tmp"))


def test_a_first_checkpoint_that_cannot_be_written_does_not_claim_an_earlier_one(tmp_path):
    proc = ganstudio(
        "train",
        "--config",
        wide_toy_config(tmp_path, steps=2, checkpoint_every=2),
        "--out",
        str(tmp_path / "run"),
        limit_files=True,
    )
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "could not save the checkpoint" in err and "there was none before it" in err, err


def test_a_disk_that_fills_mid_run_names_the_file_and_how_to_carry_on(tmp_path):
    """It said only "the disk is full": not which file, nor that the last checkpoint is kept, nor how to go on."""
    run = tmp_path / "run"
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=4, checkpoint_every=10).to_json())
    assert main(["train", "--config", str(config), "--out", str(run)]) == 0
    proc = ganstudio("train", "--resume", str(run), "--steps", "100000", limit_files=True)  # metrics.jsonl outgrows it
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith("ganstudio: error: ") and str(run / "metrics.jsonl") in line, err
    assert f"checkpoints/latest.pt is kept: make room, then continue with: ganstudio train --resume {run}" in line
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] > 4


def test_a_disk_that_fills_before_the_first_checkpoint_leaves_whole_lines_and_says_how_to_start_again(tmp_path):
    """metrics.jsonl was left ending in half a record, and the line said only "it had saved no checkpoint yet"."""
    run = tmp_path / "run"
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=100000, checkpoint_every=1000000).to_json())
    proc = ganstudio("train", "--config", str(config), "--out", str(run), limit_files=True)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith("ganstudio: error: ") and str(run / "metrics.jsonl") in line, err
    assert line.endswith(
        f"it had saved no checkpoint yet: make room, then train it over with: ganstudio train --resume {run} --restart"
    )
    log = (run / "metrics.jsonl").read_bytes()
    assert len(log) > FILE_LIMIT // 2 and log.endswith(b"\n")
    assert all(json.loads(record) for record in log.decode().splitlines())


def test_a_full_disk_during_sample_leaves_no_partial_file(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--config", wide_toy_config(tmp_path, steps=2), "--out", str(run)]) == 0
    out = tmp_path / "new" / "samples"
    proc = ganstudio(
        "sample", str(run / "checkpoints" / "latest.pt"), "--n", "100000", "--out", str(out), limit_files=True
    )
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "File too large; nothing was left behind" in err  # the system's reason, not numpy's count of items
    assert not (tmp_path / "new").exists()  # the folders the failed call made go too, its parents as well
    assert main(["sample", str(run / "checkpoints" / "latest.pt"), "--n", "100000", "--out", str(out)]) == 0


def test_progress_written_to_a_file_is_plain_lines(tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "w") as fh:
        rc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ganstudio",
                "train",
                "--preset",
                "gaussian-1d",
                "--steps",
                "40",
                "--out",
                str(tmp_path / "run"),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            timeout=120,
            env={**os.environ, "COLUMNS": "80"},
        ).returncode
    text = log.read_text()
    assert rc == 0 and "\r" not in text
    assert "step 40 / 40 (100 %)" in text and len(text) < 2000


def test_help_says_how_to_open_the_window_and_what_sample_options_mean(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "with no command to open the window" in capsys.readouterr().out.replace("\n", " ")
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "how many images (or toy points) to generate (default: 64)" in text
    assert "seed of the latent noise (default: 0)" in text


def test_eval_says_what_it_is_doing(tmp_path, small_checkpoint, capsys):
    assert main(["eval", str(small_checkpoint), "--n", "50", "--json", str(tmp_path / "q.json")]) == 0
    err = capsys.readouterr().err
    assert "real images: fashion-mnist (from the bundled Fashion-MNIST split)" in err
    assert "generating and scoring 50 images" in err
    assert json.loads((tmp_path / "q.json").read_text())["samples"] == 50


def tiny_toy_config_file(tmp_path) -> str:
    path = tmp_path / "cfg.json"
    path.write_text(tiny_toy_config(steps=40).to_json())
    return str(path)


@pytest.mark.parametrize("reader_leaves", ["before the first line", "after the first line", "with stderr too"])
def test_a_reader_that_leaves_early_neither_stops_the_run_nor_prints_an_error(tmp_path, reader_leaves):
    """`ganstudio train | head -1` (and `2>&1 | head -1`): the run goes on to its last step, unprinted, and
    ends as a pipeline's tools end when their reader leaves (status 0, or 141 when its last line met the
    closed pipe)."""
    run = tmp_path / "run"
    read_end, write_end = os.pipe()
    if reader_leaves != "after the first line":
        os.close(read_end)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--config", tiny_toy_config_file(tmp_path), "--out", str(run)],
        stdout=write_end,
        stderr=write_end if reader_leaves == "with stderr too" else subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # stdout block-buffered, as in a shell
    )
    os.close(write_end)
    if reader_leaves == "after the first line":
        with os.fdopen(read_end) as reader:
            assert reader.readline().startswith("run folder:")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 141) and "error" not in (err or "").lower(), err
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 40


def test_the_run_folder_line_reaches_a_pipe_at_once_beside_a_progress_bar(tmp_path):
    """On a terminal the progress bar (tqdm) holds stderr; the lines for stdout still arrive when printed
    (`grep -m1 "run folder"` must not wait for the run's end), and the run outlives its reader."""
    import fcntl
    import pty
    import struct
    import termios
    import threading

    run = tmp_path / "run"
    terminal, terminal_end = pty.openpty()
    fcntl.ioctl(terminal_end, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a bar needs a width
    shown: list[bytes] = []
    drain = threading.Thread(target=_read_until_closed, args=(terminal, shown), daemon=True)
    drain.start()
    read_end, write_end = os.pipe()
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=400, log_every=5, checkpoint_every=400).to_json())
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "train", "--config", str(config), "--out", str(run)],
        stdout=write_end,
        stderr=terminal_end,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    os.close(write_end)
    os.close(terminal_end)
    with os.fdopen(read_end) as reader:
        assert reader.readline().startswith("run folder:")
        step_then = load_or_zero(run)
    assert proc.wait(timeout=120) in (0, 141)
    assert step_then < 400  # the line came while the run was still training, not at its end
    assert load_checkpoint(run / "checkpoints" / "latest.pt")["step"] == 400
    assert b"it/s" in b"".join(shown) or b"step/s" in b"".join(shown)  # the bar was drawn: tqdm was in use


def _read_until_closed(descriptor: int, into: list[bytes]) -> None:
    try:
        while chunk := os.read(descriptor, 4096):
            into.append(chunk)
    except OSError:  # the terminal's other end closed
        pass


def load_or_zero(run) -> int:
    latest = run / "checkpoints" / "latest.pt"
    return load_checkpoint(latest)["step"] if latest.exists() else 0


def test_a_command_whose_reader_left_ends_quietly_not_with_an_exit_time_traceback(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganstudio", "presets"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    os.close(write_end)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141 and err == ""


def test_ctrl_c_during_sample_leaves_no_folder_it_made(small_checkpoint, tmp_path):
    out = tmp_path / "samples"
    proc = ganstudio("sample", str(small_checkpoint), "--n", "100000", "--out", str(out))
    wait_for_subprocess(proc, lambda: any(out.glob(".samples.partial-*/*")), "the first sample files")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not out.exists()


def test_a_run_folder_removed_while_training_is_not_made_again_and_the_run_fails_in_one_line(tmp_path):
    """It came back holding a few files and no config.json, the run said "done" and exited 0, and the folder
    could then be neither continued nor trained into."""
    run = tmp_path / "run"
    proc = ganstudio("train", "--config", wide_toy_config(tmp_path, steps=1_000_000, log_every=1), "--out", str(run))
    metrics = run / "metrics.jsonl"
    wait_for_subprocess(
        proc, lambda: metrics.exists() and len(metrics.read_text().splitlines()) >= 3, "the first logged steps"
    )
    run.rename(tmp_path / "moved")
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    line = err.strip().splitlines()[-1]  # after the progress bar's
    assert line.startswith("ganstudio: error: ") and f"the run folder {run} is gone" in line, err
    assert "No such file or directory" not in line  # the OS's words of a file in it, which read as a crash
    assert not run.exists()
