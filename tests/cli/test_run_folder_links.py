"""A run folder's samples/ and checkpoints/ are its own: a link or a file there is refused before a resume or
a restart writes or deletes anything, here or where the link points."""

import os
import shutil

import pytest

from ganstudio.cli import main
from tests.cli.test_bad_input_fuzz import assert_one_line_error, tree_state
from tests.conftest import tiny_toy_config, trained_run


@pytest.fixture
def run_folder(tmp_path):
    folder = tmp_path / "run"
    trained_run(tiny_toy_config(steps=10, checkpoint_every=10), folder)
    return folder


@pytest.mark.parametrize("linked", ["samples", "checkpoints"])
@pytest.mark.parametrize("argv", [["--restart"], ["--steps", "20"]])
def test_a_linked_folder_is_refused_and_nothing_is_deleted_where_it_points(run_folder, tmp_path, linked, argv, capsys):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(run_folder / linked, elsewhere)
    (elsewhere / "precious.pt").write_text("not the run's")
    shutil.rmtree(run_folder / linked)
    (run_folder / linked).symlink_to(elsewhere)
    before, outside = tree_state(run_folder), tree_state(elsewhere)
    line = assert_one_line_error(main(["train", "--resume", str(run_folder), *argv]), capsys)
    assert f"{linked} is a link" in line
    assert tree_state(run_folder) == before and tree_state(elsewhere) == outside


@pytest.mark.parametrize("planted", ["folder", "pipe", "dangling link", "link"])
def test_a_config_json_or_latest_pt_that_is_not_a_file_of_the_runs_own_is_said_so(
    run_folder, tmp_path, planted, capsys
):
    """A config.json folder or pipe was "not a GAN Studio run folder (no config.json)"; a linked latest.pt was read
    through, and the resume then replaced the link with a file of its own."""
    for name in ("config.json", "checkpoints/latest.pt"):
        path = run_folder / name
        kept = tmp_path / f"kept-{path.name}"
        shutil.move(path, kept)
        if planted == "folder":
            path.mkdir()
        elif planted == "pipe":
            os.mkfifo(path)
        else:
            path.symlink_to(kept if planted == "link" else tmp_path / "nowhere")
        before = tree_state(run_folder)
        line = assert_one_line_error(main(["train", "--resume", str(run_folder), "--steps", "20"]), capsys)
        said = "is a link, not a file of the run's own" if "link" in planted else "is not a regular file"
        assert f"{path} {said}" in line, line
        assert "no config.json" not in line
        assert tree_state(run_folder) == before
        (path.rmdir if planted == "folder" else path.unlink)()
        shutil.move(kept, path)


def test_a_file_where_the_samples_go_is_refused(run_folder, capsys):
    shutil.rmtree(run_folder / "samples")
    (run_folder / "samples").write_text("a file")
    before = tree_state(run_folder)
    line = assert_one_line_error(main(["train", "--resume", str(run_folder), "--steps", "20"]), capsys)
    assert "is a file where the run keeps a folder" in line
    assert tree_state(run_folder) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_checkpoints_folder_is_refused_before_training(run_folder, capsys):
    (run_folder / "checkpoints").chmod(0o500)
    try:
        before = tree_state(run_folder)
        line = assert_one_line_error(main(["train", "--resume", str(run_folder), "--steps", "20"]), capsys)
        assert "cannot be written to" in line and tree_state(run_folder) == before
    finally:
        (run_folder / "checkpoints").chmod(0o700)
