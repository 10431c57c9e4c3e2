"""Files the user names on the command line (--out, --json): a name for an open descriptor keeps what was
printed to it, a device stays a device, a pipe nobody reads is not waited on for ever."""

import errno
import os
import stat
from pathlib import Path

import pytest

from ganstudio.core import atomic
from ganstudio.core.atomic import write_named_file


def test_a_descriptor_name_appends_after_what_the_process_printed(tmp_path):
    """`ganstudio eval ... --json /dev/stdout >> log.txt`: /dev/stdout leads to log.txt itself, which a rename
    or a truncating open would empty."""
    log = tmp_path / "log.txt"
    log.write_text("printed before\n")
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        write_named_file(f"/dev/fd/{descriptor}", lambda staged: Path(staged).write_text("{}\n"))
    finally:
        os.close(descriptor)
    assert log.read_text() == "printed before\n{}\n"


def test_a_pipe_nobody_reads_is_refused_within_a_bound_not_waited_on_for_ever(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "PIPE_READER_WAIT_S", 0.2)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match=r"no process opened the pipe for reading within 0.2 s"):
        write_named_file(pipe, lambda staged: Path(staged).write_text("never read\n"))
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_a_failed_write_names_the_file_not_its_hidden_temp_file(tmp_path):
    target = tmp_path / "scores.json"
    (target / "inside").mkdir(parents=True)  # renaming the temp file over a folder fails, naming the temp file
    with pytest.raises(OSError) as raised:
        atomic.atomic_write(target, lambda staged: Path(staged).write_text("{}"))
    assert raised.value.filename == str(target)

    def disk_full(staged: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")  # as a short write reports it: no file named

    with pytest.raises(OSError) as raised:
        atomic.atomic_write(tmp_path / "other.json", disk_full)
    assert raised.value.filename == str(tmp_path / "other.json") and raised.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]


def test_a_run_file_is_never_written_into_a_folder_made_for_it_but_a_named_one_is(tmp_path):
    gone = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match=f"its folder {gone} is gone"):
        atomic.atomic_write(gone / "heartbeat.json", lambda staged: Path(staged).write_text("{}"))
    with pytest.raises(FileNotFoundError, match=f"its folder {gone} is gone"):
        atomic.make_subfolder(gone / "checkpoints")
    assert not gone.exists()
    write_named_file(tmp_path / "new" / "scores.json", lambda staged: Path(staged).write_text("{}"))
    assert (tmp_path / "new" / "scores.json").read_text() == "{}"
