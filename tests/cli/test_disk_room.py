"""A disk without room for a run's checkpoints is said before training, with the run folder as it was (it
used to be found at the first save, often the last step, after the folder had moved on without them)."""

import shutil
from pathlib import Path

import pytest

from ganstudio.cli import main
from tests.cli.test_bad_input_fuzz import assert_one_line_error, tree_state
from tests.cli.test_cli import write_config
from tests.conftest import tiny_toy_config, trained_run


def fill_disk(monkeypatch):
    """The disk as statvfs would report it with 100 KB left: a real full disk needs a mount the tests
    cannot make."""
    real = shutil.disk_usage

    def nearly_full(path):
        usage = real(path)
        return type(usage)(usage.total, usage.total - 100_000, 100_000)

    monkeypatch.setattr("ganstudio.core.disk_room.shutil.disk_usage", nearly_full)


@pytest.mark.parametrize("argv", [["--steps", "20"], ["--restart"]])
def test_resume_and_restart_are_refused_with_the_folder_as_it_was(tmp_path, argv, capsys, monkeypatch):
    run = tmp_path / "run"
    trained_run(tiny_toy_config(steps=10, checkpoint_every=10), run)
    fill_disk(monkeypatch)
    before = tree_state(run)
    line = assert_one_line_error(main(["train", "--resume", str(run), *argv]), capsys)
    assert "MB free" in line and "nothing was changed" in line
    assert tree_state(run) == before


def test_a_restart_counts_a_kept_step_copy_and_latest_pt_once(tmp_path):
    """They are one file under two names: counted twice, a restart counted a whole checkpoint's room it never had."""
    from ganstudio.core.disk_room import bytes_a_restart_frees
    from ganstudio.core.runlog import RunDirectory
    from ganstudio.core.session import TrainingSession

    session = TrainingSession.start(tiny_toy_config(steps=10, checkpoint_every=10), RunDirectory.at(tmp_path / "run"))
    while not session.done:
        session.advance()  # step 10's checkpoint and its kept copy, and no save after it
    session.close()
    run = session.run
    assert sorted(p.name for p in run.checkpoints_dir.iterdir()) == ["latest.pt", "step_000010.pt"]
    grids_and_metrics = sum(p.stat().st_size for p in [run.metrics_path, *run.samples_dir.iterdir()])
    assert bytes_a_restart_frees(run, run.path) == run.latest_checkpoint.stat().st_size + grids_and_metrics


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="another disk to measure: /proc, Linux's")
def test_a_restart_counts_the_sample_grids_and_metrics_it_deletes_and_no_file_on_another_disk(tmp_path):
    """It deletes them too: a restart counted only its checkpoints as freed and could be refused a room it had.
    A file on another mount frees nothing on the disk measured."""
    from ganstudio.core import disk_room

    run = trained_run(tiny_toy_config(steps=10, checkpoint_every=10, sample_every=5), tmp_path / "run").run
    grids = [path for _step, path in run.sample_files()]
    assert len(grids) >= 2
    counted = disk_room.bytes_a_restart_frees(run, run.path)
    assert counted > run.latest_checkpoint.stat().st_size + sum(p.stat().st_size for p in grids[:-1])

    assert Path("/proc").stat().st_dev != run.path.stat().st_dev
    assert disk_room.bytes_a_restart_frees(run, Path("/proc")) == 0


def test_a_new_run_is_refused_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    fill_disk(monkeypatch)
    out = tmp_path / "new"
    config = write_config(tmp_path, tiny_toy_config(steps=10))
    assert_one_line_error(main(["train", "--config", config, "--out", str(out)]), capsys)
    assert not out.exists()


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_the_room_counts_what_a_checkpoint_takes_and_the_copies_still_to_come(tmp_path, optimizer):
    from ganstudio.core.config import preset
    from ganstudio.core.disk_room import (
        SAVE_MARGIN_BYTES,
        checkpoint_bytes,
        history_bytes,
        module_bytes,
        run_needs_bytes,
    )

    config = preset("fashion-fast")
    config.train.steps, config.train.checkpoint_every, config.train.device = 2, 2, "cpu"
    config.quality.every, config.quality.keep_best = 0, False
    config.optim.name = optimizer
    session = trained_run(config, tmp_path / "run")
    written = (tmp_path / "run" / "checkpoints" / "latest.pt").stat().st_size
    assert 0.9 * written <= checkpoint_bytes(session.trainer) <= 1.2 * written  # Adam's two moments, SGD's one
    one = checkpoint_bytes(session.trainer)
    snapshot = module_bytes(session.trainer.G) + SAVE_MARGIN_BYTES
    at_end = one + snapshot + history_bytes(session.trainer, 2)  # latest.pt's replacement and the last grid
    assert run_needs_bytes(session.trainer, 2) == at_end
    assert run_needs_bytes(session.trainer, 12) == 6 * one + snapshot + history_bytes(session.trainer, 12)
    assert history_bytes(session.trainer, 12) == history_bytes(session.trainer, 4)  # up to the next checkpoint


@pytest.mark.parametrize("conditional", [False, True])
def test_a_sample_grid_takes_no_more_than_its_room_counts(tmp_path, conditional):
    from ganstudio.core.config import preset
    from ganstudio.core.disk_room import picture_bytes

    config = preset("fashion-cdcgan" if conditional else "fashion-fast")
    config.train.steps, config.train.sample_every, config.train.device = 2, 1, "cpu"
    config.data.image_size, config.data.channels = 32, 3
    session = trained_run(config, tmp_path / "run")
    grids = [p.stat().st_size for p in (tmp_path / "run" / "samples").glob("step_*.png")]
    assert len(grids) == 2 and max(grids) <= picture_bytes(session.trainer)


def test_a_run_whose_sample_grids_would_fill_the_disk_is_refused_before_it_trains(tmp_path, capsys, monkeypatch):
    """A grid every step on a disk with room for the checkpoints alone: the run trained every step and lost
    them all at its only save, behind its grids."""
    from ganstudio.core import disk_room
    from ganstudio.core.trainer import Trainer

    config = tiny_toy_config(steps=800, sample_every=1, checkpoint_every=800)
    trainer = Trainer(config)
    free = disk_room.run_needs_bytes(trainer, 800) - disk_room.history_bytes(trainer, 800) + (1 << 20)
    real = shutil.disk_usage

    def room_for_the_checkpoints(path):
        usage = real(path)
        return type(usage)(usage.total, usage.total - free, free)

    monkeypatch.setattr("ganstudio.core.disk_room.shutil.disk_usage", room_for_the_checkpoints)
    out = tmp_path / "new"
    line = assert_one_line_error(main(["train", "--config", write_config(tmp_path, config), "--out", str(out)]), capsys)
    assert "sample grids need" in line and "train.sample_every" in line
    assert not out.exists()
