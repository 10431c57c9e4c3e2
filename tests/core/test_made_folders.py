"""A failed write takes back the folders it made, and only those: a parent another process made, or
put a file into meanwhile, stays (a failed `sample --out res/seed1` removed res/ with another run's
samples in it)."""

from pathlib import Path

import pytest

from ganstudio.core.paths import make_folders, remove_made_folders


def test_the_folders_made_are_named_and_only_empty_ones_are_taken_back(tmp_path):
    out = tmp_path / "res" / "seed1" / "samples"
    made = make_folders(out)
    assert made == [tmp_path / "res", tmp_path / "res" / "seed1", out] and out.is_dir()
    (tmp_path / "res" / "seed2.png").write_bytes(b"another run's sample")
    remove_made_folders(made)
    assert not (tmp_path / "res" / "seed1").exists()
    assert (tmp_path / "res" / "seed2.png").read_bytes() == b"another run's sample"


def test_existing_folders_are_not_made_and_a_file_in_the_way_takes_back_what_was_made(tmp_path):
    (tmp_path / "there").mkdir()
    assert make_folders(tmp_path / "there") == []
    assert make_folders(tmp_path / "there" / "new") == [tmp_path / "there" / "new"]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "file").write_text("not a folder")
    with pytest.raises(OSError):
        make_folders(tmp_path / "a" / "file" / "b")
    assert sorted(p.name for p in Path(tmp_path / "a").iterdir()) == ["file"]
