"""`train --nproc` refusals: one `ganstudio: error:` line and status 2, whether the launcher refuses
before torchrun starts or a rank refuses under it; a folder's old heartbeat never passes for this run's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganstudio.cli import main
from ganstudio.cli_distributed import _killed_rank, exit_status, torchrun_command
from ganstudio.core.control import heartbeat_path
from tests.cli.test_checkpoint_state_faults import files_of
from tests.conftest import tiny_image_config

ENV = {**os.environ, "GANSTUDIO_DIST_TIMEOUT_S": "90"}


def ganstudio(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=240
    )


def one_error_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("ganstudio: error: "), result.stderr
    for word in words:
        assert word in lines[0]


def write_heartbeat(run: Path, state: str, when: float, server_skew: float = 0.0) -> None:
    """server_skew: how far the file server's clock (the file's mtime) is off the writer's."""
    run.mkdir(parents=True, exist_ok=True)
    record = {"pid": 1, "host": "h", "step": 200, "state": state, "time": when}
    heartbeat_path(run).write_text(json.dumps(record) + "\n")
    os.utime(heartbeat_path(run), (when + server_skew, when + server_skew))


def test_a_heartbeat_older_than_the_launch_says_nothing_of_this_run(tmp_path):
    launched = time.time()
    write_heartbeat(tmp_path, "done", launched - 60)
    assert exit_status(str(tmp_path), 1, launched) == 1
    write_heartbeat(tmp_path, "stopped", launched - 60)
    assert exit_status(str(tmp_path), 1, launched) == 1
    write_heartbeat(tmp_path, "stopped", launched + 1)
    assert exit_status(str(tmp_path), 0, launched) == 130


def test_a_shared_folder_whose_server_clock_is_off_does_not_change_the_exit_status(tmp_path):
    """The heartbeat's own time is rank 0's clock, this machine's; its mtime is the file server's."""
    launched = time.time()
    write_heartbeat(tmp_path, "stopped", launched + 1, server_skew=-60)  # the server a minute behind
    assert exit_status(str(tmp_path), 0, launched) == 130
    write_heartbeat(tmp_path, "stopped", launched - 60, server_skew=+120)  # an earlier run's, the server ahead
    assert exit_status(str(tmp_path), 1, launched) == 1


def test_resume_with_a_preset_is_refused_before_torchrun_starts(tmp_path):
    write_heartbeat(tmp_path / "D", "done", time.time() - 60)  # a finished run's: it once made this exit 0
    result = ganstudio("train", "--nproc", "2", "--resume", "D", "--steps", "300", "--preset", "ring-8", cwd=tmp_path)
    one_error_line(result, "--resume continues a run")


def test_perf_processes_on_resume_is_refused(tmp_path):
    result = ganstudio("train", "--resume", "D", "--set", "perf.processes=2", cwd=tmp_path)
    one_error_line(result, "--nproc N")


def test_nproc_and_perf_processes_given_together_are_refused(tmp_path):
    """Checked against perf.processes 3 (a batch of 64 did not split) and then trained on --nproc's 2."""
    result = ganstudio("train", "--nproc", "2", "--set", "perf.processes=3", "--preset", "ring-8", "--out", "R",
                       cwd=tmp_path)  # fmt: skip
    one_error_line(result, "--nproc 2 and --set perf.processes=3")
    assert not (tmp_path / "R").exists()


def test_a_semi_supervised_run_on_many_processes_is_refused_by_the_flag_given(tmp_path):
    """It said "set perf.processes 1", which the user had never set: --nproc 2 was what to leave out."""
    result = ganstudio("train", "--nproc", "2", "--preset", "fashion-semi-100", "--out", "R", cwd=tmp_path)
    one_error_line(result, "a semi-supervised run trains in one process; run it without --nproc 2")
    assert not (tmp_path / "R").exists()


def test_more_processes_than_gpus_is_refused(tmp_path):
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    nproc = str(max(2, gpus + 1))
    result = ganstudio("train", "--nproc", nproc, "--preset", "ring-8", "--device", "cuda", "--out", "R", cwd=tmp_path)
    one_error_line(result, f"--nproc {nproc} on device cuda needs {nproc} GPUs")
    assert not (tmp_path / "R").exists()


def test_a_run_recorded_on_more_processes_than_gpus_says_so_without_a_nproc_not_given(tmp_path):
    """A bare `train --resume` of a run trained on 2 processes launches 2 (config.json says so): refused on too
    few GPUs, the line named "--nproc 2", which the user never typed."""
    import torch

    from tests.conftest import tiny_toy_config

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    config = tiny_toy_config(steps=4)
    config.perf.processes = max(2, gpus + 1)
    run = tmp_path / "R"
    run.mkdir()
    (run / "config.json").write_text(config.to_json())
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    result = ganstudio("train", "--resume", "R", "--device", "cuda", cwd=tmp_path)
    one_error_line(result, f"perf.processes {config.perf.processes} in the run's config.json on device cuda needs")
    assert "give --nproc N for fewer" in result.stderr and "--nproc 2 on" not in result.stderr
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before  # the folder as it was
    (tmp_path / "mine.json").write_text(config.to_json())  # a new run's config file: named, not "its config.json"
    result = ganstudio("train", "--config", "mine.json", "--device", "cuda", "--out", "new", cwd=tmp_path)
    one_error_line(result, f"perf.processes {config.perf.processes} in mine.json on device cuda needs")
    assert not (tmp_path / "new").exists()
    processes = f"perf.processes={config.perf.processes}"  # no --config: it ended in a TypeError's traceback
    result = ganstudio("train", "--set", processes, "--device", "cuda", "--out", "new", cwd=tmp_path)
    one_error_line(result, f"--set {processes} on device cuda needs")
    assert not (tmp_path / "new").exists()


def test_a_rank_that_refuses_gives_its_one_line_not_torchrun_traceback(tmp_path):
    """A flat folder cannot feed a conditional model: rank 0 says so under torchrun; the launcher keeps
    torchrun's traceback off the terminal and ends with status 2."""
    from PIL import Image

    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        Image.new("L", (28, 28), i * 40).save(flat / f"{i}.png")
    result = ganstudio(
        "train",
        "--nproc",
        "2",
        "--preset",
        "fashion-cdcgan",
        "--set",
        "data.dataset=image-folder",
        "--set",
        f"data.path={flat}",
        "--out",
        "E",
        cwd=tmp_path,
    )
    one_error_line(result, "flat folder")
    assert "Traceback" not in result.stdout


def test_a_batch_that_does_not_split_under_torchrun_leaves_no_run_behind(tmp_path):
    """Started by hand, torchrun's ranks see perf.processes 1: rank 0 finds the batch does not split over the
    group's 2, and that must come before config.json and lock.json are written (they made the same --out refuse
    every later try as "already holds a run")."""
    result = subprocess.run(
        torchrun_command(2, ["train", "--preset", "ring-8", "--set", "train.batch_size=255", "--out", "R"]),
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
        timeout=240,
    )
    assert result.returncode != 0
    assert "must split evenly over the 2 processes" in result.stderr
    assert not (tmp_path / "R").exists() or list((tmp_path / "R").iterdir()) == []


def test_a_wait_bound_that_is_no_bound_is_refused_in_one_line(tmp_path):
    for value in ("inf", "abc", "0", "1e30"):
        result = subprocess.run(
            [sys.executable, "-m", "ganstudio", "train", "--nproc", "2", "--preset", "ring-8", "--out", "R"],
            capture_output=True,
            text=True,
            env={**ENV, "GANSTUDIO_DIST_TIMEOUT_S": value},
            cwd=tmp_path,
            timeout=240,
        )
        one_error_line(result, "GANSTUDIO_DIST_TIMEOUT_S")
        assert not (tmp_path / "R").exists()


def test_fewer_images_than_processes_is_refused_in_one_line(tmp_path):
    """Each rank draws from its own share: a rank with none crashed every process with a torch error."""
    from PIL import Image

    one = tmp_path / "one"
    one.mkdir()
    Image.new("L", (28, 28), 128).save(one / "only.png")
    result = ganstudio(
        "train",
        "--nproc",
        "2",
        "--preset",
        "fashion-dcgan",
        "--set",
        "data.dataset=image-folder",
        "--set",
        f"data.path={one}",
        "--set",
        "quality.every=0",
        "--out",
        "R",
        cwd=tmp_path,
    )
    one_error_line(result, "1 training images cannot be shared by 2 processes")
    assert not (tmp_path / "R").exists()  # the folder the launcher made for it is taken back


def test_the_rank_a_signal_ended_is_read_from_torchruns_own_report(tmp_path):
    """torchrun's report, as its ChildFailedError writes it, after a long run's progress lines: the rank killed
    is named, not the one torchrun then ended with SIGTERM (which its report may call the root cause)."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    def report(*failures: ProcessFailure) -> str:
        return ChildFailedError("ganstudio", {f.local_rank: f for f in failures}).format_msg()

    log = tmp_path / "torchrun.log"
    progress = "step 5,290 / 200,000 (3 %); loss_d 1.376, loss_g 0.763\n" * 5000
    killed, ended = ProcessFailure(1, 4242, -9, "<N/A>"), ProcessFailure(0, 4241, -15, "<N/A>")
    log.write_text(progress + report(ended, killed))
    assert (
        _killed_rank(str(log), 2)
        == "rank 1 of 2 (pid 4242) was killed by SIGKILL (kill -9, or the system out of memory)"
    )
    log.write_text(progress + report(ProcessFailure(2, 77, -11, "<N/A>")))
    assert _killed_rank(str(log), 4) == "rank 2 of 4 (pid 77) was killed by SIGSEGV"
    log.write_text(progress + report(ProcessFailure(0, 4241, 2, "<N/A>"), ended))  # a rank's own error, then SIGTERM
    assert _killed_rank(str(log), 2) is None
    log.write_text(progress)  # torchrun itself killed: no report
    assert _killed_rank(str(log), 2) is None and _killed_rank(str(tmp_path / "gone.log"), 2) is None


@pytest.mark.parametrize("how", ["new", "resume"])
def test_a_semi_supervised_run_under_torchrun_is_refused_before_its_folder_is_touched(tmp_path, how):
    """torchrun started by hand skips the launcher's own refusal: rank 0 must refuse before it makes the folder
    or carries one on (config.json recorded the count after the session had begun, and the heartbeat went)."""
    config = tiny_image_config(steps=4, labelled_per_class=5, batch_size=16, checkpoint_every=4)
    config.quality.every = 0
    (tmp_path / "semi.json").write_text(config.to_json())
    if how == "resume":
        assert main(["train", "--config", str(tmp_path / "semi.json"), "--out", str(tmp_path / "R")]) == 0
        arguments = ["train", "--resume", "R", "--steps", "8"]
    else:
        arguments = ["train", "--config", "semi.json", "--out", "R"]
    before = files_of(tmp_path / "R")
    result = subprocess.run(
        torchrun_command(2, arguments), capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=240
    )
    assert result.returncode != 0
    assert "a semi-supervised run trains in one process" in result.stderr
    assert files_of(tmp_path / "R") == before
    assert (tmp_path / "R").exists() == (how == "resume")
