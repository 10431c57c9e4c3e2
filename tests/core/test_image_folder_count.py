"""count_readable_images: what the setup form checks when an image folder is chosen."""

import os
import threading

import numpy as np
import pytest
from PIL import Image

from ganstudio.core.data.errors import DataError
from ganstudio.core.data.images import count_readable_images, load_image_folder


def write_pngs(folder, n):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(folder / f"{i}.png")


def test_counts_what_the_loader_reads(tmp_path):
    write_pngs(tmp_path / "cats", 3)
    write_pngs(tmp_path / "dogs", 2)
    (tmp_path / "cats" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("not an image suffix")
    count = count_readable_images(str(tmp_path))
    loaded = load_image_folder(str(tmp_path), 28, 1)
    assert (count.readable, count.unreadable) == (len(loaded.images), loaded.skipped) == (5, 1)
    assert count.complete and count.problem() == ""


def test_an_empty_or_image_less_folder_has_the_loaders_reason(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert count_readable_images(str(empty)).problem() == f"no readable image in {empty}"
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_bytes(b"junk")
    (junk / "b.txt").write_text("text")
    with pytest.raises(DataError) as loader_error:
        load_image_folder(str(junk), 28, 1)
    assert count_readable_images(str(junk)).problem() == str(loader_error.value)
    with pytest.raises(DataError, match="not found"):
        count_readable_images(str(tmp_path / "nope"))


def test_counting_stops_at_its_bounds(tmp_path):
    write_pngs(tmp_path / "many", 6)
    count = count_readable_images(str(tmp_path / "many"), limit=2)
    assert count.readable == 2 and not count.complete and count.problem() == ""
    texts = tmp_path / "texts"
    texts.mkdir()
    for i in range(30):
        (texts / f"{i}.txt").write_text("x")
    count = count_readable_images(str(texts), max_files=10)
    assert count.seen == 10 and not count.complete
    assert count.problem() == f"no image among the first 10 files in {texts}"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_like_an_image_is_not_opened(tmp_path):
    write_pngs(tmp_path, 1)
    os.mkfifo(tmp_path / "pipe.png")
    result = []
    counter = threading.Thread(target=lambda: result.append(count_readable_images(str(tmp_path))), daemon=True)
    counter.start()
    counter.join(10)
    assert result, "opening the FIFO blocked the count"
    assert (result[0].readable, result[0].unreadable) == (1, 0)
