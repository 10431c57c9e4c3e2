"""The control file and the FolderBridge, without Qt and without the real supervisor."""

import json
import os

import numpy as np
import pytest

from ganstudio.core.control import (
    Command,
    CommandError,
    ControlReader,
    FolderBridge,
    append_command,
    attach_folder,
    control_path,
    heartbeat_path,
    live_picture_path,
    read_heartbeat,
    snapshot_path,
)
from ganstudio.core.events import (
    Alarm,
    Finished,
    Refused,
    Remedy,
    RunInfo,
    SampleFrame,
    Snapshot,
    StateChanged,
    StatsBatch,
)
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.stats import StepStats
from tests.fake_supervisor import FakeSupervisor


def raw_append(run_dir, text: str) -> None:
    with open(control_path(run_dir), "a", encoding="utf-8") as fh:
        fh.write(text)


def test_reader_returns_each_appended_command_once(tmp_path):
    reader = ControlReader(control_path(tmp_path))
    assert reader.read() == ([], [])
    first = append_command(tmp_path, "pause")
    second = append_command(tmp_path, "change", {"lr_g": 1e-4, "k": 2})
    commands, refused = reader.read()
    assert commands == [first, second] and refused == []
    assert commands[1] == Command("change", {"lr_g": 1e-4, "k": 2}, second.id)
    assert reader.read() == ([], [])
    third = append_command(tmp_path, "stop")
    assert reader.read()[0] == [third]
    assert reader.offset == control_path(tmp_path).stat().st_size


def test_a_new_reader_skips_commands_of_an_earlier_session(tmp_path):
    append_command(tmp_path, "stop")
    reader = ControlReader(control_path(tmp_path))
    assert reader.read() == ([], [])
    resume = append_command(tmp_path, "resume")
    assert reader.read()[0] == [resume]


def test_a_folder_moved_away_and_back_does_not_replay_the_commands_already_read(tmp_path):
    """The file unseen for a moment read as empty, so its return looked like a new file: a stop carried out
    long before stopped the run again (trial O)."""
    run = tmp_path / "run"
    run.mkdir()
    stop = append_command(run, "stop")
    reader = ControlReader(control_path(run), from_start=True)
    assert reader.read()[0] == [stop]
    run.rename(tmp_path / "away")
    assert reader.read() == ([], [])
    (tmp_path / "away").rename(run)
    assert reader.read() == ([], [])
    pause = append_command(run, "pause")
    assert reader.read()[0] == [pause]
    control_path(run).unlink()  # a new, shorter file in its place is still read from its start
    save = append_command(run, "save")
    assert reader.read()[0] == [save]


def test_a_torn_line_waits_for_its_newline(tmp_path):
    reader = ControlReader(control_path(tmp_path))
    raw_append(tmp_path, '{"id": "a1", "kind": "sa')
    assert reader.read() == ([], [])
    raw_append(tmp_path, 've", "fields": {}}\n')
    assert reader.read() == ([Command("save", None, "a1")], [])


def test_lines_that_are_not_commands_are_refused_and_the_rest_still_run(tmp_path):
    reader = ControlReader(control_path(tmp_path))
    bad = [
        "not json at all",
        '{"id": "b1", "kind": "shell", "fields": {"cmd": "rm -rf /"}}',
        '{"id": "b2", "kind": "change", "fields": {"steps": 10}}',
        '{"id": "b3", "kind": "change", "fields": {"model.latent_dim": 4}}',
        '{"id": "b4", "kind": "change", "fields": {"lr_g": "1e-3"}}',
        '{"id": "b5", "kind": "change", "fields": {"k": 2.5}}',
        '{"id": "b6", "kind": "change", "fields": {"lr_d": NaN}}',
        '{"id": "b7", "kind": "change", "fields": {}}',
        '{"id": "b8", "kind": "pause", "fields": {"lr_g": 1}}',
        '{"id": "../../x", "kind": "stop"}',
        '{"kind": "stop"}',
        "[1, 2, 3]",
        '{"id": "b9", "kind": "change", "fields": {"lr_g": true}}',
    ]
    raw_append(tmp_path, "\n".join(bad) + "\n")
    with open(control_path(tmp_path), "ab") as fh:
        fh.write(b"\xff\xfe\n" + b"x" * 10_000 + b"\n")
    good = append_command(tmp_path, "pause")
    commands, refused = reader.read()
    assert commands == [good]
    assert len(refused) == len(bad) + 2
    assert [ident for ident, _ in refused if ident] == ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"]
    assert "steps" in dict(refused)["b2"] and "live" in dict(refused)["b3"]


def test_append_command_refuses_before_writing(tmp_path):
    for kind, fields in (
        ("explode", None),
        ("change", {"batch_size": 4}),
        ("change", {"lr_g": float("inf")}),
        ("stop", {"now": 1}),
    ):
        with pytest.raises(CommandError):
            append_command(tmp_path, kind, fields)
    with pytest.raises(CommandError, match=r"^change lr_g: a number no larger than 1e\+12 in size expected$"):
        append_command(tmp_path, "change", {"lr_g": 1e308})  # finite: it is out of range (trial Q)
    assert not control_path(tmp_path).exists()


def test_each_command_is_one_line_written_in_one_write(tmp_path, monkeypatch):
    writes = []
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: writes.append(data) or real_write(fd, data))
    append_command(tmp_path, "change", {"lr_g": 2e-4, "lr_d": 4e-4, "k": 3, "instance_noise": 0.1, "ema_decay": 0.99})
    assert len(writes) == 1 and writes[0].endswith(b"\n") and writes[0].count(b"\n") == 1
    record = json.loads(writes[0])
    assert set(record) == {"id", "kind", "fields", "time"}


def stats_at(step: int) -> StepStats:
    return StepStats(step, 1.3, 0.7, 0.5, 0.5, 1.0, 1.0, 0.01)


def test_folder_bridge_hands_commands_over_and_answers_them(tmp_path):
    run = RunDirectory(tmp_path)
    supervisor = FakeSupervisor()
    bridge = attach_folder(supervisor, run)
    try:
        beat = read_heartbeat(tmp_path)
        assert beat.pid == os.getpid() and beat.state == "starting" and beat.host
        supervisor.emit(RunInfo(str(tmp_path), "CUDA: NVIDIA H200", "ring-8", 0, 100, True))
        supervisor.emit(StateChanged("running"))
        assert read_heartbeat(tmp_path).device == "CUDA: NVIDIA H200"
        supervisor.emit(StatsBatch([stats_at(1), stats_at(2), stats_at(3)]))
        assert supervisor.poll() == []
        pause = append_command(tmp_path, "pause")
        change = append_command(tmp_path, "change", {"lr_g": 5e-4})
        raw_append(tmp_path, '{"id": "evil1", "kind": "change", "fields": {"loss.kind": "wgan"}}\n')
        assert supervisor.poll() == [Command("pause", None, pause.id), Command("change", {"lr_g": 5e-4}, change.id)]
        supervisor.emit(StateChanged("paused"))
        bridge.beat()
        assert read_heartbeat(tmp_path).state == "paused" and read_heartbeat(tmp_path).step == 3
        answers = run.read_events("command")
        assert [(a["id"], a.get("kind"), a["step"]) for a in answers[:2]] == [
            (pause.id, "pause", 3),
            (change.id, "change", 3),
        ]
        assert answers[2]["id"] == "evil1" and "loss.kind" in answers[2]["refused"]
        assert supervisor.poll() == []
        supervisor.emit(Alarm("nan", 3, "NaN.", (Remedy("Rewind", rewind=True), Remedy("Halve", live={"lr_g": 1e-4}))))
        supervisor.emit(Refused(3, "Change refused: lr_g must be > 0", change=True))
        remedies = run.read_events("remedies")
        assert remedies == [
            {
                "step": 3,
                "event": "remedies",
                "kind": "nan",
                "remedies": [
                    {"label": "Rewind", "live": {}, "config": {}, "rewind": True},
                    {"label": "Halve", "live": {"lr_g": 1e-4}, "config": {}, "rewind": False},
                ],
            }
        ]
        assert run.read_events("refused")[0]["change"] is True  # a watching window says it by the fields
        stop = append_command(tmp_path, "stop")
        assert supervisor.poll() == [Command("stop", None, stop.id)]
        supervisor.emit(StateChanged("running"))
        bridge.beat()
        assert read_heartbeat(tmp_path).state == "stopping"
    finally:
        supervisor.emit(Finished("stopped", 3))
    assert read_heartbeat(tmp_path).state == "stopped"
    assert not bridge._thread.is_alive()
    assert list(tmp_path.glob(".*.tmp")) == []


def test_folder_bridge_writes_live_pictures_at_most_once_a_second(tmp_path):
    supervisor = FakeSupervisor()
    bridge = attach_folder(supervisor, tmp_path)
    try:
        grid = np.full((20, 30), 200, np.uint8)
        supervisor.emit(SampleFrame(5, image=grid))
        first = live_picture_path(tmp_path).stat().st_mtime_ns
        supervisor.emit(SampleFrame(6, image=np.zeros((20, 30), np.uint8)))
        assert live_picture_path(tmp_path).stat().st_mtime_ns == first
        assert bridge.picture_step == 5
        from ganstudio.core.imaging import load_png

        assert np.array_equal(load_png(live_picture_path(tmp_path)), grid)
        bridge._last_picture -= 2  # a second and more later
        points = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
        supervisor.emit(SampleFrame(7, real=points, fake=points))
        assert load_png(live_picture_path(tmp_path)).ndim == 3
        assert bridge.picture_step == 7
    finally:
        bridge.close()


def test_folder_bridge_writes_a_snapshot_the_explorer_can_load(tmp_path):
    from ganstudio.core.models import build_models
    from ganstudio.core.sampling import load_generator
    from tests.conftest import tiny_image_config

    cfg = tiny_image_config()
    generator, _ = build_models(cfg)
    supervisor = FakeSupervisor()
    bridge = attach_folder(supervisor, tmp_path)
    try:
        from ganstudio.core.trainer_state import CHECKPOINT_FORMAT, CHECKPOINT_VERSION

        weights = {k: v.clone() for k, v in generator.state_dict().items()}

        def snapshot(step):
            payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "generator": weights}
            supervisor.emit(Snapshot(step, {**payload, "config": cfg.to_dict(), "step": step, "final": False}))

        snapshot(5)  # a window training the run asks its own every few seconds: not written for them
        assert not snapshot_path(tmp_path).exists()
        with open(control_path(tmp_path), "a") as fh:
            fh.write('{"id": "w1", "kind": "snapshot"}\n')  # a watcher's Refresh from training
        assert [c.kind for c in bridge.poll()] == ["snapshot"]
        snapshot(12)
    finally:
        bridge.close()
    snapshot = load_generator(snapshot_path(tmp_path))
    assert snapshot.step == 12 and snapshot.latent_dim == cfg.model.latent_dim


def test_heartbeat_reader_ignores_torn_and_foreign_files(tmp_path):
    assert read_heartbeat(tmp_path) is None
    for text in (
        '{"pid": 1, "host": "a", "step": 3, "state": "runn',
        '{"pid": 1, "host": "a", "step": -1, "state": "running", "time": 1}',
        '{"pid": 1, "host": "a", "step": 1, "state": "hacked", "time": 1}',
        "[]",
        '{"pid": 2147483648, "host": "a", "step": 1, "state": "running", "time": 1}',  # os.kill overflowed
        '{"pid": 0, "host": "a", "step": 1, "state": "running", "time": 1}',  # a process group
        '{"pid": 1, "host": "a", "step": 1' + "0" * 400 + ', "state": "running", "time": 1}',  # no float holds it
        '{"pid": 1, "host": "a", "step": 1, "state": "running", "time": 1, "picture_step": true}',
    ):
        heartbeat_path(tmp_path).write_text(text)
        assert read_heartbeat(tmp_path) is None


def test_a_command_is_logged_at_the_step_the_run_carries_it_out(tmp_path, monkeypatch):
    """The bridge took its step from the last stats the supervisor had passed on (a few times a second):
    a pause read between two of them was logged, and its heartbeat beaten, at the earlier one's step while
    the run paused later (1,161 against 1,166 in a trial)."""
    import queue
    import threading

    from ganstudio.core import supervisor as supervisor_module
    from ganstudio.core.session import TrainingSession
    from ganstudio.core.supervisor import Supervisor
    from tests.conftest import tiny_toy_config

    monkeypatch.setattr(supervisor_module, "STATS_INTERVAL_S", 3600.0)  # the stats lag for as long as the test

    run = RunDirectory.at(tmp_path / "run")
    cfg = tiny_toy_config(steps=1_000_000, log_every=100_000)  # no stats line before the pause
    supervisor = Supervisor(lambda: TrainingSession.start(cfg, run))
    attach_folder(supervisor, run)
    events: queue.Queue = queue.Queue()
    thread = threading.Thread(target=lambda: [events.put(e) for e in supervisor.run()])
    thread.start()
    try:
        while supervisor.session is None or supervisor.session.step < 20:
            events.get(timeout=60)
        append_command(run.path, "pause")
        while not (isinstance(event := events.get(timeout=60), StateChanged) and event.state == "paused"):
            pass
        paused_at = supervisor.session.step
    finally:
        append_command(run.path, "stop")
        thread.join(timeout=60)
    [pause] = [r for r in run.read_events("command") if r.get("kind") == "pause"]
    assert paused_at >= 20 and pause["step"] == paused_at


@pytest.mark.parametrize("how", ["resume", "restart"])
def test_carrying_a_run_on_forgets_the_last_writers_heartbeat_picture_and_generator(tmp_path, how):
    """A window that continued a run whose writer was killed left the dead pid's heartbeat: the next window
    to watch the folder showed that process as the run's, Paused, until its timeout."""
    from ganstudio.core.session import TrainingSession
    from tests.conftest import tiny_image_config, trained_run

    trained_run(tiny_image_config(steps=4), tmp_path / "run")
    run = RunDirectory(tmp_path / "run")
    bridge = FolderBridge(run)
    bridge.beat()  # the writer killed with -9: its files stay
    live_picture_path(run.path).write_bytes(b"an old picture")
    snapshot_path(run.path).write_bytes(b"an old generator")
    session = TrainingSession.resume(run, total_steps=6) if how == "resume" else TrainingSession.restart(run)
    try:
        assert not heartbeat_path(run.path).exists()
        assert not live_picture_path(run.path).exists() and not snapshot_path(run.path).exists()
    finally:
        session.close()
