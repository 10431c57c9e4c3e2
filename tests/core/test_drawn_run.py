"""A drawn dataset is copied into its run folder, so the folder continues after the drawing is gone and
after the folder itself has moved."""

import json
import os
import shutil

import numpy as np
import pytest

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.config import DataConfig
from ganstudio.core.data.toy import MAX_DRAWN_BYTES
from ganstudio.core.run_data import DRAWN_COPY, config_in_folder
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.session import TrainingSession
from tests.conftest import tiny_toy_config, trained_run


def drawn_config(path, **train):
    cfg = tiny_toy_config(**train)
    cfg.data = DataConfig(dataset="drawn", path=str(path))
    return cfg


def test_a_drawn_run_keeps_its_points_and_resumes_after_its_folder_moved(tmp_path, monkeypatch):
    points = np.random.default_rng(0).normal(size=(50, 2))
    drawing = tmp_path / "drawings" / "mine.npy"
    drawing.parent.mkdir()
    np.save(drawing, points)
    folder = tmp_path / "runs" / "drawn"
    trained_run(drawn_config(drawing, steps=4, checkpoint_every=4), folder)
    assert json.loads((folder / "config.json").read_text())["data"]["path"] == DRAWN_COPY
    assert load_checkpoint(folder / "checkpoints" / "latest.pt")["config"]["data"]["path"] == DRAWN_COPY
    np.testing.assert_array_equal(np.load(folder / DRAWN_COPY), points.astype(np.float32))

    drawing.unlink()
    moved = tmp_path / "elsewhere" / "moved-run"
    shutil.move(str(folder), str(moved))
    monkeypatch.chdir(tmp_path / "drawings")
    resumed = TrainingSession.resume(RunDirectory.open(moved), total_steps=6)
    np.testing.assert_array_equal(resumed.trainer.data._drawn.numpy(), points.astype(np.float32))
    resumed.close()
    assert main(["train", "--resume", str(moved), "--steps", "8"]) == 0
    assert load_checkpoint(moved / "checkpoints" / "latest.pt")["step"] == 8
    assert config_in_folder(RunDirectory.open(moved).read_config(), moved).data.path == str(moved / DRAWN_COPY)


def test_a_run_started_from_a_drawn_runs_config_copies_the_points_again(tmp_path):
    drawing = tmp_path / "mine.npy"
    np.save(drawing, np.random.default_rng(1).normal(size=(20, 2)))
    first = tmp_path / "first"
    TrainingSession.start(drawn_config(drawing, steps=2), RunDirectory.at(first)).close()
    again = config_in_folder(RunDirectory.open(first).read_config(), first)  # what Open run folder shows
    second = tmp_path / "second"
    TrainingSession.start(again, RunDirectory.at(second)).close()
    assert RunDirectory.open(second).read_config().data.path == DRAWN_COPY
    np.testing.assert_array_equal(np.load(second / DRAWN_COPY), np.load(first / DRAWN_COPY))


def test_a_drawn_run_that_fails_to_start_leaves_no_folder_behind(tmp_path, monkeypatch):
    from ganstudio.core import session as session_module

    def fail(*_args, **_kwargs):
        raise RuntimeError("the model does not fit")

    drawing = tmp_path / "mine.npy"
    np.save(drawing, np.random.default_rng(2).normal(size=(20, 2)))
    monkeypatch.setattr(session_module, "build_trainer", fail)
    folder = tmp_path / "run"
    with pytest.raises(RuntimeError, match="does not fit"):
        TrainingSession.start(drawn_config(drawing), RunDirectory.at(folder))
    assert not folder.exists()


def test_a_drawing_that_is_not_a_npy_of_numbers_is_one_line_and_makes_no_folder(tmp_path, capsys):
    """Strings were an internal error (np.isfinite), complex points lost their imaginary part under numpy's
    own warning, and bools trained as 0/1; a wrong shape was said as too few finite points."""
    junk, objects = tmp_path / "junk.npy", tmp_path / "objects.npy"
    junk.write_bytes(b"a note, not numpy")
    np.save(objects, np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    arrays = {
        "text": (np.array([["a", "b"]] * 10), "holds text (<U1), not numbers"),
        "complex": (np.ones((10, 2), dtype=np.complex64), "holds complex numbers (complex64), not"),
        "bool": (np.ones((10, 2), dtype=bool), "holds true/false values (bool), not"),
        "column": (np.zeros((300, 1), dtype=np.float32), "holds an array of shape (300, 1); a drawing is (N, 2)"),
        "xyz": (np.zeros((300, 3)), "holds an array of shape (300, 3); a drawing is (N, 2)"),
        "one": (np.zeros((1, 2)), "holds 1 point; a drawing needs at least 2"),
        "nan": (np.array([[0.0, 1.0], [np.nan, 2.0]]), "holds NaN or infinite coordinates"),
        "past float32": (np.array([[0.0, 1.0], [1e39, 2.0]]), "holds NaN or infinite coordinates (as 32-bit floats)"),
    }
    for name, (array, _) in arrays.items():
        np.save(tmp_path / f"{name}.npy", array)
    cases = [(junk, "is not a .npy file"), (objects, "holds Python objects")]
    cases += [(tmp_path / f"{name}.npy", says) for name, (_, says) in arrays.items()]
    for drawing, says in cases:
        folder = tmp_path / f"run-{drawing.stem}"
        code = main(["train", "--preset", "ring-8", "--set", "data.dataset=drawn", "--set", f"data.path={drawing}",
                     "--steps", "5", "--out", str(folder)])  # fmt: skip
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and says in err[0] and "allow_pickle" not in err[0], err
        assert not folder.exists()


def test_a_drawing_too_large_to_be_painted_is_refused_before_it_is_read(tmp_path, capsys):
    huge = tmp_path / "huge.npy"
    np.save(huge, np.zeros((10, 2)))
    os.truncate(huge, MAX_DRAWN_BYTES + 1)  # sparse: the size a reader would have to take in, no disk used
    folder = tmp_path / "run"
    code = main(["train", "--preset", "ring-8", "--set", "data.dataset=drawn", "--set", f"data.path={huge}",
                 "--steps", "5", "--out", str(folder)])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "is over 64 MB; that is not a drawing of points" in err[0], err
    assert not folder.exists()
