"""What someone else put in a shared run folder: a pipe, a device, a link or a forged file where the run
keeps its files. Whatever stands there, a reader returns at once and a writer never writes through it."""

import io
import json
import os
import threading

import numpy as np
import pytest

from ganstudio.core.control import (
    MAX_LINES_PER_READ,
    ControlReader,
    FolderBridge,
    append_command,
    control_path,
    heartbeat_path,
    live_picture_path,
    read_heartbeat,
    snapshot_path,
)
from ganstudio.core.events import SampleFrame, Snapshot
from ganstudio.core.imaging import load_png
from ganstudio.core.runlog import RunDirectory, RunError

BOUND_S = 5.0


def returns_promptly(call):
    """call() run on a thread: (finished within BOUND_S, its result or the exception it raised). A call that
    blocks on a pipe is left on its daemon thread, and the test fails instead of hanging."""
    outcome = []

    def run():
        try:
            outcome.append(call())
        except BaseException as exc:  # noqa: BLE001 - the exception is the result under test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND_S)
    return (not thread.is_alive(), outcome[0] if outcome else None)


def test_a_pipe_or_device_for_the_heartbeat_reads_as_no_news(tmp_path):
    os.mkfifo(heartbeat_path(tmp_path))
    assert returns_promptly(lambda: read_heartbeat(tmp_path)) == (True, None)
    os.unlink(heartbeat_path(tmp_path))
    os.symlink("/dev/zero", heartbeat_path(tmp_path))
    assert returns_promptly(lambda: read_heartbeat(tmp_path)) == (True, None)


def test_a_command_is_never_written_through_a_link_or_into_a_pipe(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's file\n")
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(victim, control_path(run))
    done, result = returns_promptly(lambda: append_command(run, "pause"))
    assert done and isinstance(result, OSError) and "is a link" in str(result)
    assert victim.read_text() == "the user's file\n"
    os.unlink(control_path(run))
    os.mkfifo(control_path(run))
    done, result = returns_promptly(lambda: append_command(run, "pause"))
    assert done and isinstance(result, OSError) and "not a regular file" in str(result)


def test_a_run_picture_that_is_a_pipe_a_bomb_or_not_a_png_raises_oserror_at_once(tmp_path):
    from PIL import Image

    pipe = tmp_path / "live.png"
    os.mkfifo(pipe)
    done, result = returns_promptly(lambda: load_png(pipe))
    assert done and isinstance(result, OSError)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20_000, 10_000)).save(bomb)  # a few KB on disk, 200 megapixels decoded
    tiff = tmp_path / "step_00000001.png"
    Image.new("L", (8, 8)).save(tiff, format="TIFF")
    for path in (bomb, tiff):
        with pytest.raises(OSError):
            load_png(path)
    grid = np.arange(64, dtype=np.uint8).reshape(8, 8)
    buffer = io.BytesIO()
    Image.fromarray(grid).save(buffer, format="PNG")
    (tmp_path / "good.png").write_bytes(buffer.getvalue())
    assert np.array_equal(load_png(tmp_path / "good.png"), grid)


def test_a_config_that_is_a_pipe_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "config.json")
    done, result = returns_promptly(lambda: RunDirectory(tmp_path).read_config())
    assert done and isinstance(result, RunError) and "not a regular file" in str(result)


def test_records_a_kind_cannot_be_built_from_are_skipped_when_a_run_is_opened(tmp_path):
    lines = [
        {"step": 1, "event": "modes", "modes": 1, "modes_total": 8, "high_quality": 0.5, "js": 0.1, "own_mode": ["x"]},
        {"step": 2, "event": "classifier"},
        {"step": 3, "event": "rewind"},
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    history = RunDirectory(tmp_path).history()
    assert [type(e).__name__ for e in history] == ["Rewound"]


def test_a_lock_file_of_nested_brackets_is_one_line_not_a_crash(tmp_path):
    from ganstudio.core.run_lock import Holder

    assert Holder.parse(b"[" * 2000 + b"]" * 2000) is None


def test_a_linked_metrics_log_is_refused_before_a_resume_writes_anything(tmp_path):
    from ganstudio.core.session import TrainingSession
    from tests.conftest import tiny_toy_config, trained_run

    run_dir = tmp_path / "run"
    trained_run(tiny_toy_config(steps=4), run_dir)
    outside = tmp_path / "outside.jsonl"
    (run_dir / "metrics.jsonl").unlink()
    os.symlink(outside, run_dir / "metrics.jsonl")  # dangling: an append would create it
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file() and not p.is_symlink()}
    with pytest.raises(RunError, match="is a link"):
        TrainingSession.resume(RunDirectory.open(run_dir), total_steps=8)
    assert not outside.exists()
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file() and not p.is_symlink()} == before


def test_a_refused_start_keeps_the_empty_folder_the_user_made(tmp_path):
    from ganstudio.core.session import TrainingSession
    from tests.conftest import tiny_image_config

    empty_images = tmp_path / "no-images"
    empty_images.mkdir()
    config = tiny_image_config()
    config.data.dataset, config.data.path = "image-folder", str(empty_images)
    mine = tmp_path / "mine"
    mine.mkdir()
    with pytest.raises(Exception, match="no-images"):
        TrainingSession.start(config, RunDirectory.at(mine))
    assert mine.is_dir()
    with pytest.raises(Exception, match="no-images"):
        TrainingSession.start(config, RunDirectory.at(tmp_path / "made-for-it"))
    assert not (tmp_path / "made-for-it").exists()  # the folder the start made is taken back


def test_a_picture_or_snapshot_that_cannot_be_written_does_not_end_the_run(tmp_path):
    bridge = FolderBridge(tmp_path)
    live_picture_path(tmp_path).mkdir()  # a folder where the picture goes: every write fails
    snapshot_path(tmp_path).mkdir()
    bridge.on_event(SampleFrame(3, image=np.zeros((8, 8), np.uint8)))
    bridge.on_event(Snapshot(3, {"generator": {}, "final": True}))
    refused = RunDirectory(tmp_path).read_events("refused")
    assert [(r["step"], r["message"].startswith("no snapshot")) for r in refused] == [(3, True)]


def test_a_flood_of_commands_is_taken_a_few_at_a_time(tmp_path):
    reader = ControlReader(control_path(tmp_path), from_start=True)
    control_path(tmp_path).write_text("".join(f'{{"id": "s{i}", "kind": "save"}}\n' for i in range(100)))
    taken = [len(reader.read()[0]) for _ in range(5)]
    assert taken == [MAX_LINES_PER_READ] * 3 + [100 - 3 * MAX_LINES_PER_READ, 0]


def test_a_metrics_log_of_one_endless_line_is_read_in_bounded_memory(tmp_path):
    """A sparse file with no newline (or a link's huge target) was read into one string: 100 GB of it ran out
    of memory on a resume or an Open run folder. The line is skipped, and the records after it still count."""
    import tracemalloc

    metrics = tmp_path / "metrics.jsonl"
    with open(metrics, "wb") as fh:
        fh.truncate(200 << 20)  # 200 MB of holes: no disk used, no newline
        fh.seek(0, os.SEEK_END)
        fh.write(b'\n{"step": 3, "event": "rewind"}\n')
    tracemalloc.start()
    try:
        history = RunDirectory(tmp_path).history()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(type(e).__name__, e.step) for e in history] == [("Rewound", 3)]
    assert peak < 32 << 20, peak


def test_a_linked_or_swapped_metrics_log_is_not_followed_by_a_watcher(tmp_path, monkeypatch):
    """The watcher stat()ed the log and then opened it by name: a link was read from outside the folder, and a
    pipe put there between the two (a shared folder's other writer) blocked the window's thread for good."""
    from ganstudio.core.follow import MetricsFollower

    outside = tmp_path / "outside.jsonl"
    outside.write_text('{"step": 7, "loss_d": 1.0, "loss_g": 1.0, "d_real": 0.5, "d_fake": 0.5}\n')
    run = tmp_path / "run"
    run.mkdir()
    metrics = run / "metrics.jsonl"
    metrics.symlink_to(outside)
    assert MetricsFollower(metrics).records() == (False, [])
    with pytest.raises(OSError, match="is a link"):
        RunDirectory(run).history()
    metrics.unlink()
    metrics.write_text(outside.read_text())
    swaps = []

    def swapping(real):
        def call(path, *args, **kwargs):
            found = real(path, *args, **kwargs)
            if os.fspath(path) == os.fspath(metrics) and not swaps:  # after the look, before the open
                swaps.append(path)
                metrics.unlink()
                os.mkfifo(metrics)
            return found

        return call

    monkeypatch.setattr(os, "stat", swapping(os.stat))
    monkeypatch.setattr(os, "lstat", swapping(os.lstat))
    finished, result = returns_promptly(MetricsFollower(metrics).records)
    monkeypatch.undo()
    assert swaps and finished and result == (False, [])


def test_run_file_lines_keeps_lines_across_reads_up_to_the_cap_and_skips_longer_ones(tmp_path):
    from ganstudio.core.run_file import CHUNK_BYTES, run_file_lines

    cap = CHUNK_BYTES + 10
    lines = [b"a", b"b" * cap, b"c" * (cap + 1), b"", b"d" * (CHUNK_BYTES - 3), b"torn"]
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b"\n".join(lines))  # spans reads; the last line has no newline
    assert list(run_file_lines(path, cap)) == [b"a", b"b" * cap, b"", b"d" * (CHUNK_BYTES - 3), b"torn"]


@pytest.mark.parametrize("name", ["heartbeat.json", "snapshot.pt"])
def test_a_folder_where_the_run_keeps_a_file_is_refused_before_a_resume_changes_anything(tmp_path, name):
    """heartbeat.json made a folder failed the first beat, after the resume had cut the log and removed the
    last writer's picture: every retry did the same."""
    from ganstudio.core.session import TrainingSession
    from tests.conftest import tiny_toy_config, trained_run

    run_dir = tmp_path / "run"
    trained_run(tiny_toy_config(steps=4), run_dir)
    (run_dir / name).unlink(missing_ok=True)
    (run_dir / name).mkdir()
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    with pytest.raises(RunError, match=f"{name} is a folder where the run keeps a file"):
        TrainingSession.resume(RunDirectory.open(run_dir), total_steps=8)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
