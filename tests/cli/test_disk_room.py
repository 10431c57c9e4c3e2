"""A disk without room for a run's checkpoints is said before training, with the run folder as it was (it
used to be found at the first save, often the last step, after the folder had moved on without them)."""

import shutil

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


def test_a_new_run_is_refused_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    fill_disk(monkeypatch)
    out = tmp_path / "new"
    config = write_config(tmp_path, tiny_toy_config(steps=10))
    assert_one_line_error(main(["train", "--config", config, "--out", str(out)]), capsys)
    assert not out.exists()


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_the_room_counts_what_a_checkpoint_takes_and_the_copies_still_to_come(tmp_path, optimizer):
    from ganstudio.core.config import preset
    from ganstudio.core.disk_room import SAVE_MARGIN_BYTES, checkpoint_bytes, module_bytes, run_needs_bytes

    config = preset("fashion-fast")
    config.train.steps, config.train.checkpoint_every, config.train.device = 2, 2, "cpu"
    config.quality.every, config.quality.keep_best = 0, False
    config.optim.name = optimizer
    session = trained_run(config, tmp_path / "run")
    written = (tmp_path / "run" / "checkpoints" / "latest.pt").stat().st_size
    assert 0.9 * written <= checkpoint_bytes(session.trainer) <= 1.2 * written  # Adam's two moments, SGD's one
    one = checkpoint_bytes(session.trainer)
    snapshot = module_bytes(session.trainer.G) + SAVE_MARGIN_BYTES
    assert run_needs_bytes(session.trainer, 2) == one + snapshot  # at its end: latest.pt's replacement
    assert run_needs_bytes(session.trainer, 12) == 6 * one + snapshot  # and five step copies to come
