"""Faults: killed writes, blocking files, inflating checkpoints, resume rules, full disks."""

import json
import os
import stat
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.atomic import atomic_write, remove_stale_temp_files
from ganstudio.core.checkpoint import CheckpointError, load_checkpoint
from ganstudio.core.config import ConfigError, preset
from ganstudio.core.data.images import load_image_folder
from ganstudio.core.events import Changed, ModesMeasured
from ganstudio.core.quality.errors import QualityError
from ganstudio.core.quality.evaluator import real_data_for
from ganstudio.core.runlog import RunDirectory, RunError
from ganstudio.core.session import TrainingSession
from tests.conftest import tiny_image_config, tiny_toy_config, trained_run


def train(folder, cfg):
    return trained_run(cfg, folder, close=False)


def test_atomic_write_gives_the_users_mode_and_cleans_only_stale_temp_files(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "a.txt", lambda tmp: Path(tmp).write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    stale, fresh, other = tmp_path / ".latest.pt.abc.tmp", tmp_path / ".latest.pt.def.tmp", tmp_path / "keep.tmp"
    for p in (stale, fresh, other):
        p.write_text("partial")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    os.utime(other, (time.time() - 3600, time.time() - 3600))
    assert remove_stale_temp_files(tmp_path) == 1
    assert not stale.exists() and fresh.exists() and other.exists()


class WriterKilled(Exception):
    """The process ends here, as under kill -9."""


def kill_at_writes_after_latest(monkeypatch):
    """The session's checkpoint writes of anything but latest.pt end the writer; returns the real save."""
    import ganstudio.core.session as session_module

    real_save = session_module.save_checkpoint

    def killed_after_latest(state, path):
        if Path(path).name != "latest.pt":
            raise WriterKilled(path)
        return real_save(state, path)

    monkeypatch.setattr(session_module, "save_checkpoint", killed_after_latest)
    return real_save


def test_a_kept_step_checkpoint_is_whole_as_soon_as_latest_pt_is(tmp_path, monkeypatch):
    """A writer killed while it wrote step_000100.pt, after latest.pt, lost that copy for good: the resume went on
    from latest.pt and never wrote it again. Here the writer "dies" at its next checkpoint write after latest.pt;
    the kept copy is latest.pt's own file under a second name, there already, and it keeps its bytes when the
    next checkpoint replaces latest.pt."""

    session = TrainingSession.start(tiny_toy_config(steps=4, checkpoint_every=2), RunDirectory.at(tmp_path / "run"))
    kill_at_writes_after_latest(monkeypatch)
    session.advance()
    session.advance()
    step_two = session.run.step_checkpoint(2)
    saved = step_two.read_bytes()
    assert load_checkpoint(step_two)["step"] == 2
    session.advance()
    session.advance()
    assert load_checkpoint(session.run.latest_checkpoint)["step"] == 4
    assert step_two.read_bytes() == saved
    assert load_checkpoint(session.run.step_checkpoint(4))["step"] == 4
    session.close()


@pytest.mark.parametrize("overrides", [None, ["train.checkpoint_every=3"]])
def test_a_kept_step_checkpoint_a_disk_without_hard_links_lost_to_a_kill_is_made_by_the_resume(
    tmp_path, monkeypatch, overrides
):
    """Without hard links the step copy is a second write after latest.pt, which a kill can cut short: the resume
    from latest.pt makes it, by the checkpoint interval latest.pt was saved under, not the one it continues with."""
    import ganstudio.core.atomic as atomic_module
    import ganstudio.core.session as session_module

    def no_links(source, target):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(atomic_module.os, "link", no_links)
    run = RunDirectory.at(tmp_path / "run")
    session = TrainingSession.start(tiny_toy_config(steps=4, checkpoint_every=2), run)
    real_save = kill_at_writes_after_latest(monkeypatch)
    session.advance()
    with pytest.raises(WriterKilled):
        session.advance()
    session.close()
    assert not run.step_checkpoint(2).exists()
    monkeypatch.setattr(session_module, "save_checkpoint", real_save)
    resumed = TrainingSession.resume(RunDirectory.open(run.path), total_steps=4, overrides=overrides)
    assert load_checkpoint(run.step_checkpoint(2))["step"] == 2
    resumed.close()


def test_a_run_start_removes_what_killed_writers_left(tmp_path):
    """A checkpoint half saved by a writer killed a moment ago goes too: only the lock's holder writes there (it
    stayed through --restart, resumes and later saves); the folder's own temp files wait until they are old."""
    folder = tmp_path / "run"
    train(folder, tiny_toy_config(steps=2, checkpoint_every=2))
    left = folder / "checkpoints" / ".latest.pt.x1y2.tmp"
    left.write_bytes(b"half a checkpoint")
    os.utime(left, (time.time() - 3600, time.time() - 3600))
    image_set = folder / ".imageset-1.partial-2p61oy0b"  # a window killed while it saved an image set, long ago
    image_set.mkdir()
    os.utime(image_set, (time.time() - 2 * 3600, time.time() - 2 * 3600))
    TrainingSession.resume(RunDirectory.open(folder), total_steps=4).close()
    assert not left.exists() and not image_set.exists()
    fresh, grid, beside = (
        folder / "checkpoints" / ".latest.pt.a1b2.tmp",
        folder / "samples" / ".step_000004.png.c3d4.tmp",
        folder / ".classifier_baseline.json.e5f6.tmp",  # a watching window's write in flight
    )
    for path in (fresh, grid, beside):
        path.write_bytes(b"half")
    TrainingSession.resume(RunDirectory.open(folder), total_steps=6).close()
    assert not fresh.exists() and not grid.exists() and beside.exists()


def test_a_fifo_in_an_image_folder_is_skipped_not_waited_on(tmp_path):
    Image.fromarray(np.full((8, 8), 200, np.uint8)).save(tmp_path / "a.png")
    os.mkfifo(tmp_path / "blocked.png")
    loaded = load_image_folder(str(tmp_path), 8, 1)
    assert len(loaded.images) == 1 and loaded.skipped == 1


def test_a_compressed_checkpoint_is_refused_before_it_is_inflated(tmp_path):
    plain, bomb = tmp_path / "plain.pt", tmp_path / "bomb.pt"
    torch.save({"format": "ganstudio-checkpoint", "big": torch.zeros(50_000_000)}, plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(CheckpointError, match="unpack to 191 MB"):
        load_checkpoint(bomb)


def test_resume_without_a_checkpoint_is_refused_and_erases_nothing(tmp_path):
    run = RunDirectory.at(tmp_path / "run")
    cfg = tiny_toy_config(steps=5)
    run.write_config(cfg)
    run.metrics_path.write_text('{"step": 1, "loss_d": 1.0}\n')
    with pytest.raises(RunError, match="--restart"):
        TrainingSession.resume(run)
    assert run.metrics_path.read_text() == '{"step": 1, "loss_d": 1.0}\n'
    session = TrainingSession.restart(run)
    assert session.step == 0 and not run.metrics_path.exists()
    assert (
        not session.trainer.download
    )  # the folder's config names the data: torchrun's other ranks download none either


def test_resume_applies_config_json_edits_that_may_change_and_says_so(tmp_path):
    folder = tmp_path / "run"
    train(folder, tiny_toy_config(steps=3, checkpoint_every=3))
    raw = json.loads((folder / "config.json").read_text())
    raw["optim"]["lr_g"] = 5e-4
    (folder / "config.json").write_text(json.dumps(raw))
    session = TrainingSession.resume(RunDirectory.open(folder), total_steps=6, overrides=["train.k=2"])
    assert session.trainer.config.optim.lr_g == 5e-4 and session.trainer.config.train.k == 2
    assert session.trainer.opt_g.param_groups[0]["lr"] == 5e-4
    assert any("optim.lr_g" in note for note in session.resume_notes)
    assert any("train.k" in note for note in session.resume_notes)
    on_disk = RunDirectory.open(folder).read_config()
    assert (on_disk.train.k, on_disk.train.steps) == (2, 6)
    # logged as a window's change is, so the loss plot marks where the run went on with them (steps are no rate)
    changes = [e for e in RunDirectory.open(folder).history() if isinstance(e, Changed)]
    assert [(e.step, e.changes) for e in changes] == [(3, {"lr_g": 5e-4, "k": 2})]
    assert session.resumed_change == changes[0]  # emitted by the supervisor: a window continuing it marks it too
    session.close()  # killed before its next checkpoint, and resumed again from the same latest.pt: logged once
    TrainingSession.resume(RunDirectory.open(folder), total_steps=6).close()
    assert len([e for e in RunDirectory.open(folder).history() if isinstance(e, Changed)]) == 1


def test_a_live_change_reaches_config_json_with_the_next_checkpoint(tmp_path):
    session = train(tmp_path / "run", tiny_toy_config(steps=2, checkpoint_every=100))
    session.trainer.apply_changes({"lr_d": 3e-4})
    session.save_checkpoint()
    assert RunDirectory.open(tmp_path / "run").read_config().optim.lr_d == 3e-4


def test_a_config_the_loader_refuses_is_never_written(tmp_path):
    run = RunDirectory.at(tmp_path / "run")
    cfg = tiny_toy_config()
    cfg.train.steps = 0
    with pytest.raises(ConfigError):
        run.write_config(cfg)
    assert not run.config_path.exists()


def test_eval_never_takes_a_path_or_download_from_a_checkpoint_from_elsewhere(tmp_path):
    cfg = preset("fashion-dcgan")
    cfg.data.dataset, cfg.data.path = "cifar10", str(tmp_path / "would-be-created")
    cfg.data.channels, cfg.data.image_size = 3, 32
    with pytest.raises(QualityError, match="--dataset cifar10"):
        real_data_for(tmp_path / "loose.pt", cfg)
    assert not (tmp_path / "would-be-created").exists()
    bundled = tiny_image_config()
    assert real_data_for(tmp_path / "loose.pt", bundled)[0].dataset == "fashion-mnist"
    chosen, source = real_data_for(tmp_path / "loose.pt", cfg, "image-folder", str(tmp_path))
    assert (chosen.dataset, chosen.path, source) == ("image-folder", str(tmp_path), "--dataset")


def fail_one_append(monkeypatch, marker: bytes) -> list:
    """The first append to a run file holding marker fails as a full disk fails it; the list gets its path."""
    import errno

    import ganstudio.core.runlog as runlog

    real, failed = runlog.append_run_file, []

    def append(path, data):
        if not failed and marker in data:
            failed.append(path)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(runlog, "append_run_file", append)
    return failed


def test_an_events_record_a_failed_write_kept_out_is_logged_at_the_next_write_and_the_step_goes_on(
    tmp_path, monkeypatch
):
    """A window's run whose folder was moved away during a quality check lost that check's records for good (and the
    step's other measures: the write's error cut the step short), though its steps' statistics reached the log once
    the folder was back (trial W F7)."""
    failed = fail_one_append(monkeypatch, b'"event": "modes"')
    config = tiny_toy_config(steps=20, log_every=5, checkpoint_every=20)
    config.train.metrics_every = 10
    session = TrainingSession.start(config, RunDirectory.at(tmp_path / "run"))
    try:
        while not session.done:
            progress = session.advance()
            if session.step == 10:
                assert failed and progress.modes is not None  # measured and shown, though not yet logged
        history = session.run.history()
        assert [e.step for e in history if isinstance(e, ModesMeasured)] == [10, 20]
        assert [s.step for s in session.run.read_metrics()] == list(range(1, 21))
    finally:
        session.close()


def test_statistics_a_full_disk_kept_out_of_the_log_are_logged_at_the_next_flush(tmp_path, monkeypatch):
    """They were drained from the trainer, then the write failed: the log kept a gap for good (steps 6-10 here),
    which a watching window and eval read too."""
    failed = fail_one_append(monkeypatch, b'"step": 10')
    session = TrainingSession.start(tiny_toy_config(steps=20, log_every=5), RunDirectory.at(tmp_path / "run"))
    try:
        while not session.done:
            try:
                session.advance()
            except OSError:
                assert session.step == 10
        assert failed
        assert [s.step for s in session.run.read_metrics()] == list(range(1, 21))
    finally:
        session.close()
