import math

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.config import DataConfig
from ganstudio.core.data import DataError, build_data_source
from ganstudio.core.data.idx import read_idx
from ganstudio.core.data.images import load_idx_folder, load_image_folder, load_torchvision
from ganstudio.core.data.toy import grid_centres, ring_centres
from tests.conftest import write_idx

CPU = torch.device("cpu")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    "name, dim", [("gaussian-1d", 1), ("ring-8", 2), ("grid-25", 2), ("spiral", 2), ("two-moons", 2)]
)
def test_toy_shapes_and_seeding(name, dim):
    src = build_data_source(DataConfig(dataset=name), CPU)
    a = src.sample(500, gen(1))
    assert a.shape == (500, dim) and torch.isfinite(a).all()
    assert torch.equal(a, src.sample(500, gen(1)))
    assert not torch.equal(a, src.sample(500, gen(2)))


def test_ring_has_eight_distinct_centres_on_the_unit_circle():
    c = ring_centres()
    assert c.shape == (8, 2)
    assert torch.allclose(c.norm(dim=1), torch.ones(8), atol=1e-6)
    assert torch.cdist(c, c).add(torch.eye(8) * 10).min() > 0.7  # neighbours 2 sin(pi/8) = 0.765 apart


def test_ring_samples_stay_near_their_centres():
    src = build_data_source(DataConfig(dataset="ring-8"), CPU)
    x = src.sample(4000, gen())
    d = torch.cdist(x, ring_centres()).min(dim=1).values
    assert d.max() < 0.01 * 6
    nearest = torch.cdist(x, ring_centres()).argmin(dim=1)
    assert len(nearest.unique()) == 8


def test_grid_centres():
    c = grid_centres()
    assert c.shape == (25, 2)
    assert set(c[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_bundled_fashion_mnist():
    src = build_data_source(DataConfig(dataset="fashion-mnist"), CPU)
    assert len(src) == 10000 and src.shape == (1, 28, 28)
    batch = src.sample(16, gen())
    assert batch.shape == (16, 1, 28, 28)
    assert batch.min() >= -1 and batch.max() <= 1 and batch.max() > 0.9


@pytest.mark.parametrize("size, channels", [(32, 3), (64, 1)])
def test_bundled_resized_and_recoloured(size, channels):
    src = build_data_source(DataConfig(dataset="fashion-mnist", image_size=size, channels=channels), CPU)
    assert src.sample(4, gen()).shape == (4, channels, size, size)


def test_idx_folder(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(30, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    assert np.array_equal(read_idx(tmp_path / "train-images-idx3-ubyte.gz"), images)
    loaded = load_idx_folder(str(tmp_path))
    assert loaded.images.shape == (30, 1, 28, 28)
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        load_idx_folder(str(tmp_path / "empty"))


def test_forged_idx_files_are_data_errors_not_crashes(tmp_path):
    """No dimensions at all, or no images with no labels: a ValueError reached the user as a bug."""
    from ganstudio.core.data.idx import IdxError

    (tmp_path / "nodims-idx3-ubyte").write_bytes(bytes([0, 0, 8, 0]))
    with pytest.raises(IdxError, match="no dimensions"):
        read_idx(tmp_path / "nodims-idx3-ubyte")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((0,), np.uint8))
    with pytest.raises(DataError, match="at least one"):
        load_idx_folder(str(tmp_path))


def test_image_folder_with_subfolders_and_junk(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "cats" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored: not an image suffix")
    loaded = load_image_folder(str(tmp_path), 32, 3)
    assert loaded.images.shape == (6, 3, 32, 32) and loaded.images.dtype == np.uint8
    assert loaded.skipped == 1 and "1 unreadable" in loaded.description
    gray = build_data_source(DataConfig(dataset="image-folder", path=str(tmp_path), image_size=28, channels=1), CPU)
    assert gray.sample(5, gen()).shape == (5, 1, 28, 28)


def test_image_folder_without_images_is_a_clear_error(tmp_path):
    (tmp_path / "x.png").write_bytes(b"junk")
    with pytest.raises(DataError, match="no readable image"):
        load_image_folder(str(tmp_path), 28, 1)
    with pytest.raises(DataError, match="not found"):
        load_image_folder(str(tmp_path / "nope"), 28, 1)


def test_torchvision_offline_names_where_to_put_files(tmp_path, monkeypatch):
    from urllib.error import URLError

    from torchvision import datasets

    def offline(self):
        raise URLError("no network")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    with pytest.raises(DataError) as err:
        load_torchvision("mnist", str(tmp_path))
    assert str(tmp_path / "MNIST") in str(err.value) and "offline" in str(err.value)


def test_images_live_on_the_device_once():
    src = build_data_source(DataConfig(dataset="fashion-mnist"), CPU)
    assert src.images.dtype == torch.uint8 and src.images.device == CPU
    assert math.prod(src.images.shape) == 10000 * 28 * 28
