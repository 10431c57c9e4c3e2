"""A toy run's distribution frame written to its run folder for a watching window, and every other file
under that name refused without a crash (anyone may write a watched folder)."""

import io
import zipfile
from dataclasses import fields

import numpy as np
import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.config import check
from ganstudio.core.control import distribution_path, forget_last_writer, read_heartbeat
from ganstudio.core.distribution import distribution_frame
from ganstudio.core.distribution_frame import (
    DistributionFileError,
    DistributionFrame,
    read_distribution,
    write_distribution,
)
from ganstudio.core.trainer import Trainer
from tests.conftest import tiny_toy_config


def frame_of(dataset: str) -> DistributionFrame:
    trainer = Trainer(check(tiny_toy_config(dataset, steps=2)))
    trainer.step()
    real = trainer.data.sample(64, torch.Generator().manual_seed(0)).numpy()
    return distribution_frame(trainer, real, torch.randn(32, trainer.config.model.latent_dim))


def same(a: DistributionFrame, b: DistributionFrame) -> bool:
    for f in fields(DistributionFrame):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if (x is None) != (y is None) or (x is not None and not np.array_equal(np.asarray(x), np.asarray(y))):
            return False
    return True


@pytest.mark.parametrize("dataset", ["gaussian-1d", "ring-8"])
def test_a_frame_reads_back_as_it_was_written(tmp_path, dataset):
    frame = frame_of(dataset)
    write_distribution(frame, tmp_path / "distribution.npz")
    assert same(read_distribution(tmp_path / "distribution.npz"), frame)


def test_a_headless_toy_run_leaves_its_last_frame_for_a_watcher(tmp_path):
    config = tmp_path / "cfg.json"
    config.write_text(tiny_toy_config(steps=30).to_json())
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "run")]) == 0
    frame = read_distribution(distribution_path(tmp_path / "run"))
    assert frame.dim == 2 and frame.step == 30 == read_heartbeat(tmp_path / "run").picture_step
    forget_last_writer(tmp_path / "run")  # a run carried on: the last writer's frame speaks of steps gone back on
    assert not distribution_path(tmp_path / "run").exists()


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def valid_arrays() -> dict:
    frame = frame_of("ring-8")
    return {f.name: np.asarray(getattr(frame, f.name)) for f in fields(frame) if getattr(frame, f.name) is not None}


def planted() -> dict[str, bytes]:
    good = valid_arrays()
    compressed = io.BytesIO()
    np.savez_compressed(compressed, **good)
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    huge = io.BytesIO()  # a header naming 16 GB over the 64 points' bytes
    np.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 2)})
    huge.write(good["real"].astype("<f8").tobytes())
    return {
        "not a zip": b"not a zip at all",
        "empty": b"",
        "compressed": compressed.getvalue(),
        "a header naming more than follows": with_entry(good, "real", huge.getvalue()),
        "pickled objects": with_entry(good, "real", pickled.getvalue()),
        "NaN real points": npz(**{**good, "real": np.full((64, 2), np.nan)}),
        "points of another dimension": npz(**{**good, "real": np.zeros((64, 3))}),
        "arrows of two lengths": npz(**{**good, "arrow_vec": np.zeros((3, 2))}),
        "an unknown array": npz(**good, extra=np.zeros(3)),
        "a label of its own": npz(**{**good, "d_label": np.asarray("rm -rf")}),
        "a dimension of 3": npz(**{**good, "dim": np.asarray(3)}),
        "no map": npz(**{k: v for k, v in good.items() if k != "d_map"}),
        "an empty box": npz(**{**good, "extent": np.zeros(4)}),
        "integer points": npz(**{**good, "real": np.zeros((64, 2), dtype=np.int64)}),
    }


def with_entry(good: dict, name: str, entry: bytes) -> bytes:
    """The valid arrays with one entry's bytes replaced."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, value in good.items():
            if key != name:
                single = io.BytesIO()
                np.save(single, value)
                archive.writestr(f"{key}.npy", single.getvalue())
        archive.writestr(f"{name}.npy", entry)
    return buffer.getvalue()


@pytest.mark.parametrize("name", list(planted()))
def test_a_planted_file_is_refused_in_words(tmp_path, name):
    path = tmp_path / "distribution.npz"
    path.write_bytes(planted()[name])
    with pytest.raises(DistributionFileError, match="is not a distribution frame"):
        read_distribution(path)


def test_a_file_over_the_bound_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import ganstudio.core.distribution_frame as module

    path = tmp_path / "distribution.npz"
    write_distribution(frame_of("ring-8"), path)
    monkeypatch.setattr(module, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(DistributionFileError, match="is over"):
        read_distribution(path)


def test_a_pipe_or_a_link_in_its_place_is_not_read(tmp_path):
    """A pipe named distribution.npz would have blocked the window's thread for good."""
    import os

    pipe = tmp_path / "pipe" / "distribution.npz"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="not a regular file"):
        read_distribution(pipe)
    target = tmp_path / "elsewhere.npz"
    write_distribution(frame_of("ring-8"), target)
    link = tmp_path / "link" / "distribution.npz"
    link.parent.mkdir()
    link.symlink_to(target)
    with pytest.raises(OSError, match="is a link"):
        read_distribution(link)
